package token

import (
	"errors"
	"fmt"

	"github.com/miekg/pkcs11"

	"clinicgw/sync/i18n"
)

// ErrCardRemoved means the card (or token) went away during or before a
// call: the Token is unusable from then on. Close it, wait for a card and
// open it again; any session built on it has ended.
var ErrCardRemoved = errors.New("token: the card was removed; insert it and log in again")

// ErrTokenHung means a call on the token did not return before its
// deadline and was abandoned (OpenSC 0.23 can hang in C_Sign when the
// card is pulled). The Token is unusable from then on; treat the card as
// removed: errors.Is(ErrTokenHung, ErrCardRemoved) holds.
var ErrTokenHung error = hungError{}

type hungError struct{}

func (hungError) Error() string {
	return "token: the card did not answer in time and is treated as removed; take it out, insert it and log in again"
}

func (hungError) Is(target error) bool { return target == ErrCardRemoved }

// ErrClosed is returned by calls on a Token after Close.
var ErrClosed = errors.New("token: the token is closed")

// ErrNotLoggedIn is returned when an operation needs the user's login.
var ErrNotLoggedIn = errors.New("token: not logged in; log in with the card's PIN first")

// ErrPINRequired is returned by Login with an empty PIN on a reader
// without a PIN pad, and by SignContext for a key that asks for the PIN
// at every use (CKA_ALWAYS_AUTHENTICATE): use SignWithPIN.
var ErrPINRequired = errors.New("token: a PIN is needed for this; ask the user for it")

// ErrPINEntryCancelled is returned when the user cancelled PIN entry on
// the reader's PIN pad.
var ErrPINEntryCancelled = errors.New("token: PIN entry was cancelled on the reader")

// ErrNoAuthCert is returned by AuthCert when the token holds no
// certificate for authentication (key usage digitalSignature).
var ErrNoAuthCert = errors.New("token: the card holds no authentication certificate; use a SITHS card for login")

// ErrNoKey is returned when a certificate's private key, or a key by
// label, is not on the token.
var ErrNoKey = errors.New("token: the key is not on the token")

// ErrNoToken is returned by Open when no slot matches the configuration.
var ErrNoToken = errors.New("token: no matching token; check that the card is in the reader and the reader name or token label in the configuration")

// ErrMechanism is returned when the token does not offer the signing or
// encryption mechanism asked for.
var ErrMechanism = errors.New("token: the token does not offer this mechanism")

// PINKind says what went wrong with a PIN.
type PINKind int

// The kinds of PIN error. Count low, final try and locked come from the
// token's flags read after the failure.
const (
	Incorrect PINKind = iota + 1 // wrong PIN, tries left unknown
	CountLow                     // wrong PIN, and the token says few tries are left
	FinalTry                     // wrong PIN, and the next wrong one locks the card
	Locked                       // the PIN is locked (blocked); unblock it with the PUK
	LenRange                     // the PIN is too short or too long, or has characters the token refuses; no try was used
)

func (k PINKind) String() string {
	switch k {
	case Incorrect:
		return "incorrect"
	case CountLow:
		return "countLow"
	case FinalTry:
		return "finalTry"
	case Locked:
		return "locked"
	case LenRange:
		return "lenRange"
	}
	return fmt.Sprintf("PINKind(%d)", int(k))
}

// PINError is a refused PIN. The token is never asked again by this
// package: the user decides whether to try once more.
type PINError struct {
	Kind PINKind
	// Retries is the number of tries left when the token says so: 1 for
	// FinalTry, 0 for Locked, -1 when unknown.
	Retries int
	// MinLen and MaxLen are the token's PIN length limits (0 if unknown).
	MinLen, MaxLen int
	// Err is the PKCS#11 error behind it, if any.
	Err error
}

func (e *PINError) Error() string {
	switch e.Kind {
	case CountLow:
		return "token: wrong PIN; few tries are left before the card locks"
	case FinalTry:
		return "token: wrong PIN; one try is left before the card locks"
	case Locked:
		return "token: the card's PIN is locked after too many wrong tries; unblock it with the PUK or ask the card administrator"
	case LenRange:
		return fmt.Sprintf("token: the PIN has the wrong length or characters (the card takes %s); no try was used", e.lenText("digits", "to"))
	}
	return "token: wrong PIN; try again"
}

func (e *PINError) lenText(unit, to string) string {
	switch {
	case e.MinLen > 0 && e.MaxLen > 0 && e.MaxLen < 64:
		return fmt.Sprintf("%d %s %d %s", e.MinLen, to, e.MaxLen, unit)
	case e.MinLen > 0:
		return fmt.Sprintf("%d %s or more", e.MinLen, unit)
	}
	return unit
}

// Swedish is the message for staff, in Swedish: what happened and what to
// do.
func (e *PINError) Swedish() string { return e.In("sv") }

// In is the message for staff in lang, from the one catalogue (sync/i18n's
// pin.*).
func (e *PINError) In(lang string) string {
	switch e.Kind {
	case CountLow, FinalTry, Locked:
		return i18n.T(lang, "pin."+e.Kind.String())
	case LenRange:
		if e.MinLen > 0 {
			length := i18n.T(lang, "pin.len.atLeast", e.MinLen)
			if e.MaxLen > 0 && e.MaxLen < 64 {
				length = i18n.T(lang, "pin.len.between", e.MinLen, e.MaxLen)
			}
			return i18n.T(lang, "pin.lenRange", length)
		}
		return i18n.T(lang, "pin.lenOrChars")
	}
	return i18n.T(lang, "pin.incorrect")
}

func (e *PINError) Unwrap() error { return e.Err }

// pinKindOf maps a token's flags to the kind of a failed login.
func pinKindOf(flags uint) (PINKind, int) {
	switch {
	case flags&pkcs11.CKF_USER_PIN_LOCKED != 0:
		return Locked, 0
	case flags&pkcs11.CKF_USER_PIN_FINAL_TRY != 0:
		return FinalTry, 1
	case flags&pkcs11.CKF_USER_PIN_COUNT_LOW != 0:
		return CountLow, -1
	}
	return Incorrect, -1
}

// isRemoval reports whether a PKCS#11 error means the card is gone.
func isRemoval(err error) bool {
	var rv pkcs11.Error
	if !errors.As(err, &rv) {
		return false
	}
	switch rv {
	case pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_TOKEN_NOT_PRESENT,
		pkcs11.CKR_SESSION_HANDLE_INVALID, pkcs11.CKR_SESSION_CLOSED,
		pkcs11.CKR_SLOT_ID_INVALID, pkcs11.CKR_TOKEN_NOT_RECOGNIZED:
		return true
	}
	return false
}

// rvIs reports whether err is the PKCS#11 return value rv.
func rvIs(err error, rv uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == rv
}
