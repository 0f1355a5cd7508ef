package token

import (
	"context"
	"fmt"
	"time"

	"github.com/miekg/pkcs11"
)

// Login logs the user in with pin. On a reader with a PIN pad
// (Info.ProtectedAuthPath) an empty pin has the user type it on the pad,
// within Config.PINPadDeadline. A refused PIN is a *PINError that says
// whether few tries are left, one is left, or the PIN is locked (read
// from the token's flags after the failure); a locked token is refused
// without asking the card. A PIN is never tried twice.
func (t *Token) Login(ctx context.Context, pin string) error {
	pad := pin == "" && t.open.ProtectedAuthPath
	if pin == "" && !pad {
		return ErrPINRequired
	}
	err := t.do(ctx, t.deadlineFor(pad), "login", func(p p11) error {
		ti, err := p.GetTokenInfo(t.slot)
		if err != nil {
			return fmt.Errorf("token: read the PIN state: %w", err)
		}
		if ti.Flags&pkcs11.CKF_USER_PIN_LOCKED != 0 {
			return &PINError{Kind: Locked, Retries: 0, MinLen: clampLen(ti.MinPinLen), MaxLen: clampLen(ti.MaxPinLen)}
		}
		if !pad {
			if err := checkPINLen(pin, clampLen(ti.MinPinLen), clampLen(ti.MaxPinLen)); err != nil {
				return err
			}
		}
		err = p.Login(t.sess, pkcs11.CKU_USER, pin)
		if rvIs(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
			// Someone else's login on this slot: the PIN was not checked.
			// Log out and check it, once.
			_ = p.Logout(t.sess)
			err = p.Login(t.sess, pkcs11.CKU_USER, pin)
		}
		if err != nil {
			return t.pinError(p, err, ti)
		}
		t.mu.Lock()
		t.loggedIn = true
		t.mu.Unlock()
		return nil
	})
	if err != nil {
		if pe, ok := err.(*PINError); ok {
			t.log.Warn("token login refused", "slot", t.slot, "kind", pe.Kind.String(), "retries", pe.Retries)
		}
		return err
	}
	t.log.Info("token login", "slot", t.slot, "pinPad", pad)
	return nil
}

// Logout ends the user's login.
func (t *Token) Logout(ctx context.Context) error {
	return t.do(ctx, t.cfg.Deadline, "logout", func(p p11) error {
		t.mu.Lock()
		t.loggedIn = false
		t.mu.Unlock()
		if err := p.Logout(t.sess); err != nil && !rvIs(err, pkcs11.CKR_USER_NOT_LOGGED_IN) {
			return fmt.Errorf("token: logout: %w", err)
		}
		return nil
	})
}

// LoggedIn reports whether Login succeeded and no Logout followed.
func (t *Token) LoggedIn() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.loggedIn
}

func (t *Token) deadlineFor(pinPad bool) time.Duration {
	if pinPad {
		return t.cfg.PINPadDeadline
	}
	return t.cfg.Deadline
}

// checkPINLen refuses a PIN outside the token's limits before the card
// sees it, so that no try is spent on it.
func checkPINLen(pin string, minLen, maxLen int) error {
	if (minLen > 0 && len(pin) < minLen) || (maxLen > 0 && len(pin) > maxLen) {
		return &PINError{Kind: LenRange, Retries: -1, MinLen: minLen, MaxLen: maxLen}
	}
	return nil
}

// pinError turns a failed C_Login into a *PINError, reading the token's
// flags for the tries left; other errors come back wrapped.
func (t *Token) pinError(p p11, err error, before pkcs11.TokenInfo) error {
	minLen, maxLen := clampLen(before.MinPinLen), clampLen(before.MaxPinLen)
	switch {
	case rvIs(err, pkcs11.CKR_PIN_INCORRECT):
		flags := before.Flags
		if ti, ierr := p.GetTokenInfo(t.slot); ierr == nil {
			flags = ti.Flags
		}
		kind, retries := pinKindOf(flags)
		return &PINError{Kind: kind, Retries: retries, MinLen: minLen, MaxLen: maxLen, Err: err}
	case rvIs(err, pkcs11.CKR_PIN_LOCKED):
		return &PINError{Kind: Locked, Retries: 0, MinLen: minLen, MaxLen: maxLen, Err: err}
	case rvIs(err, pkcs11.CKR_PIN_LEN_RANGE), rvIs(err, pkcs11.CKR_PIN_INVALID):
		return &PINError{Kind: LenRange, Retries: -1, MinLen: minLen, MaxLen: maxLen, Err: err}
	case rvIs(err, pkcs11.CKR_FUNCTION_CANCELED):
		return fmt.Errorf("%w (%w)", ErrPINEntryCancelled, err)
	}
	return fmt.Errorf("token: login: %w", err)
}
