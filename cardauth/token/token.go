package token

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"clinicgw/sync/clock"

	"github.com/miekg/pkcs11"
)

// Defaults of the Config fields left zero.
const (
	DefaultDeadline       = 10 * time.Second
	DefaultPINPadDeadline = 60 * time.Second
)

// slotDescriptionLen is the size of CK_SLOT_INFO.slotDescription: a
// reader name longer than this is cut in the slot's description.
const slotDescriptionLen = 64

// Config says which token to open and how long calls on it may take.
// Module and one of Reader or TokenLabel are required.
type Config struct {
	// Module is the path of the PKCS#11 library, e.g.
	// /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so.
	Module string
	// Reader is the PC/SC reader the card is in: the slot whose
	// description is the reader's name (as OpenSC names its slots).
	Reader string
	// TokenLabel selects the token by its label (SoftHSM2); with Reader
	// both must match.
	TokenLabel string
	// Deadline bounds every call that touches the token; a call that
	// takes longer is abandoned (ErrTokenHung). DefaultDeadline if zero.
	Deadline time.Duration
	// PINPadDeadline bounds calls where the user types the PIN on the
	// reader's PIN pad. DefaultPINPadDeadline if zero.
	PINPadDeadline time.Duration
	// Clock makes the deadline timers; the system clock if nil.
	Clock clock.Clock
	// Rand makes the KEK's nonces; crypto/rand if nil.
	Rand io.Reader
	// Logger receives technical logs (never a PIN, a name or a label);
	// discarded if nil.
	Logger *slog.Logger
}

func (c *Config) fill() error {
	if c.Module == "" {
		return errors.New("token: no PKCS#11 module path in the configuration")
	}
	if c.Reader == "" && c.TokenLabel == "" {
		return errors.New("token: the configuration names neither a reader nor a token label; set one")
	}
	if c.Deadline <= 0 {
		c.Deadline = DefaultDeadline
	}
	if c.PINPadDeadline <= 0 {
		c.PINPadDeadline = DefaultPINPadDeadline
	}
	if c.Clock == nil {
		c.Clock = clock.System
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Info describes a token as it is now.
type Info struct {
	Slot            uint
	SlotDescription string // the reader's name for OpenSC
	Label           string
	Manufacturer    string
	Model           string
	Serial          string
	// LoginRequired is set when keys need a login with the user PIN.
	LoginRequired bool
	// ProtectedAuthPath is set for a reader with a PIN pad: Login with an
	// empty PIN has the user type it there.
	ProtectedAuthPath bool
	// PIN state from the token's flags.
	PINCountLow, PINFinalTry, PINLocked bool
	// MinPINLen and MaxPINLen are the token's limits on the PIN length.
	MinPINLen, MaxPINLen int
}

func infoOf(slot uint, si pkcs11.SlotInfo, ti pkcs11.TokenInfo) Info {
	f := ti.Flags
	return Info{
		Slot: slot, SlotDescription: si.SlotDescription,
		Label: ti.Label, Manufacturer: ti.ManufacturerID, Model: ti.Model, Serial: ti.SerialNumber,
		LoginRequired:     f&pkcs11.CKF_LOGIN_REQUIRED != 0,
		ProtectedAuthPath: f&pkcs11.CKF_PROTECTED_AUTHENTICATION_PATH != 0,
		PINCountLow:       f&pkcs11.CKF_USER_PIN_COUNT_LOW != 0,
		PINFinalTry:       f&pkcs11.CKF_USER_PIN_FINAL_TRY != 0,
		PINLocked:         f&pkcs11.CKF_USER_PIN_LOCKED != 0,
		MinPINLen:         clampLen(ti.MinPinLen),
		MaxPINLen:         clampLen(ti.MaxPinLen),
	}
}

// clampLen turns a CK_ULONG length (which may be CK_UNAVAILABLE_INFORMATION)
// into an int, 0 when unknown.
func clampLen(n uint) int {
	if n > 1<<16 {
		return 0
	}
	return int(n)
}

// Token is an open session on one token (a card in a reader). Its methods
// are safe for concurrent use; calls on the token run one at a time, each
// in its own goroutine, and the caller waits at most the deadline: a call
// that does not return in time is abandoned, and the Token reports
// ErrTokenHung from then on. A card found removed makes every later call
// return ErrCardRemoved. Close a Token when done; Close never blocks
// longer than the deadline either.
type Token struct {
	cfg  Config
	mod  *module
	p    p11
	slot uint
	sess pkcs11.SessionHandle
	log  *slog.Logger

	mechs map[uint]bool
	open  Info // as read by Open

	busy sync.Mutex // held while a call runs on the session

	mu       sync.Mutex
	state    error // nil while usable
	loggedIn bool
}

// Open finds the token the configuration names, loads the module if this
// process has not yet, and opens a read-only session on it.
func Open(ctx context.Context, cfg Config) (*Token, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	return open(ctx, cfg, func() (*module, error) { return acquire(cfg.Module) })
}

// open is Open with the module's loader given: tests load a fake.
func open(ctx context.Context, cfg Config, load func() (*module, error)) (*Token, error) {
	var t *Token
	err, abandoned := bounded(ctx, cfg.Clock, cfg.Deadline, func() error {
		m, err := load()
		if err != nil {
			return err
		}
		if m.isStuck() {
			_ = m.release()
			return ErrModuleStuck
		}
		tok, err := openSlot(m, cfg)
		if err != nil {
			_ = m.release()
			return err
		}
		t = tok
		return nil
	}, func(err error) {
		if err == nil { // finished after the caller gave up
			t.cleanup(false)
		}
	})
	if abandoned {
		return nil, fmt.Errorf("token: open: %w", err)
	}
	if err != nil {
		return nil, err
	}
	t.log.Info("token opened", "slot", t.slot, "serial", t.open.Serial)
	return t, nil
}

func openSlot(m *module, cfg Config) (*Token, error) {
	slots, err := m.p.GetSlotList(true)
	for try := 0; rvIs(err, pkcs11.CKR_BUFFER_TOO_SMALL) && try < 3; try++ {
		// A reader came or went between the two calls inside
		// GetSlotList (count, then fill): list again.
		slots, err = m.p.GetSlotList(true)
	}
	if err != nil {
		return nil, fmt.Errorf("token: list slots: %w", err)
	}
	for _, slot := range slots {
		si, err := m.p.GetSlotInfo(slot)
		if err != nil {
			continue
		}
		ti, err := m.p.GetTokenInfo(slot)
		if err != nil {
			continue
		}
		if !matches(cfg, si, ti) {
			continue
		}
		if !m.claimSlot(slot) {
			return nil, ErrSlotBusy
		}
		sess, err := m.p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
		if err != nil {
			m.freeSlot(slot)
			if isRemoval(err) {
				return nil, fmt.Errorf("token: open session: %w (%w)", ErrCardRemoved, err)
			}
			return nil, fmt.Errorf("token: open session: %w", err)
		}
		mechs := map[uint]bool{}
		if list, err := m.p.GetMechanismList(slot); err == nil {
			for _, mech := range list {
				mechs[mech.Mechanism] = true
			}
		}
		return &Token{
			cfg: cfg, mod: m, p: m.p, slot: slot, sess: sess, log: cfg.Logger,
			mechs: mechs, open: infoOf(slot, si, ti),
		}, nil
	}
	return nil, ErrNoToken
}

// matches reports whether a slot is the one cfg names.
func matches(cfg Config, si pkcs11.SlotInfo, ti pkcs11.TokenInfo) bool {
	if cfg.TokenLabel != "" && strings.TrimRight(ti.Label, " \x00") != cfg.TokenLabel {
		return false
	}
	if cfg.Reader == "" {
		return true
	}
	want := cfg.Reader
	if len(want) > slotDescriptionLen {
		want = want[:slotDescriptionLen]
	}
	want = strings.TrimRight(want, " ")
	return strings.TrimRight(si.SlotDescription, " \x00") == want
}

// bounded runs fn in its own goroutine and waits for it, for ctx and for
// the deadline d, whichever comes first. When it stops waiting before fn
// returns it reports abandoned, with ctx's error or ErrTokenHung; fn then
// runs on, and late (if not nil) gets its result.
func bounded(ctx context.Context, clk clock.Clock, d time.Duration, fn func() error, late func(error)) (err error, abandoned bool) {
	var (
		mu   sync.Mutex
		gone bool
		done = make(chan error, 1)
	)
	timer := clk.NewTimer(d)
	defer timer.Stop()
	go func() {
		err := fn()
		mu.Lock()
		defer mu.Unlock()
		if gone {
			if late != nil {
				late(err)
			}
			return
		}
		done <- err
	}()
	var why error
	select {
	case err := <-done:
		return err, false
	case <-ctx.Done():
		why = ctx.Err()
	case <-timer.C():
		why = ErrTokenHung
	}
	mu.Lock()
	defer mu.Unlock()
	select {
	case err := <-done: // it returned just now
		return err, false
	default:
	}
	gone = true
	return why, true
}

// do runs fn on the token's session with the deadline d. A removal error
// makes the Token unusable; so does a call abandoned at its deadline.
// A call abandoned because ctx ended runs on, and the next call waits for
// it (within its own deadline).
func (t *Token) do(ctx context.Context, d time.Duration, op string, fn func(p p11) error) error {
	if err := t.usable(); err != nil {
		return err
	}
	// A call abandoned at its deadline is counted on the module until it
	// returns (if ever), so that Open knows the module is stuck.
	var (
		retMu    sync.Mutex
		finished bool
		returned func()
	)
	err, abandoned := bounded(ctx, t.cfg.Clock, d, func() error {
		t.busy.Lock()
		defer t.busy.Unlock()
		if err := t.usable(); err != nil {
			return err
		}
		err := fn(t.p)
		if isRemoval(err) {
			t.fail(ErrCardRemoved)
			t.log.Warn("token card removed", "slot", t.slot, "op", op)
			return fmt.Errorf("token: %s: %w (%w)", op, ErrCardRemoved, err)
		}
		return err
	}, func(error) {
		retMu.Lock()
		defer retMu.Unlock()
		finished = true
		if returned != nil {
			returned()
		}
	})
	if abandoned {
		if errors.Is(err, ErrTokenHung) {
			retMu.Lock()
			if !finished {
				returned = t.mod.abandoned()
			}
			retMu.Unlock()
			t.fail(ErrTokenHung)
			t.log.Error("token call abandoned at its deadline", "slot", t.slot, "op", op, "deadline", d)
			return ErrTokenHung
		}
		return fmt.Errorf("token: %s: %w", op, err)
	}
	return err
}

func (t *Token) usable() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state
}

// fail makes the Token unusable with err, unless it already is.
func (t *Token) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == nil {
		t.state = err
	}
}

// Slot returns the token's slot id.
func (t *Token) Slot() uint { return t.slot }

// Info reads the token's state (labels, PIN flags) afresh.
func (t *Token) Info(ctx context.Context) (Info, error) {
	var info Info
	err := t.do(ctx, t.cfg.Deadline, "token info", func(p p11) error {
		si, err := p.GetSlotInfo(t.slot)
		if err != nil {
			return fmt.Errorf("token: slot info: %w", err)
		}
		ti, err := p.GetTokenInfo(t.slot)
		if err != nil {
			return fmt.Errorf("token: token info: %w", err)
		}
		info = infoOf(t.slot, si, ti)
		return nil
	})
	return info, err
}

// Offers reports whether the token offers a PKCS#11 mechanism
// (pkcs11.CKM_...), as listed when it was opened.
func (t *Token) Offers(mechanism uint) bool { return t.mechs[mechanism] }

// Close logs out, closes the session and drops the module when this was
// its last user. It does not wait for a call that hung: the cleanup then
// happens if that call ever returns.
func (t *Token) Close() error {
	t.mu.Lock()
	prev := t.state
	if prev == ErrClosed {
		t.mu.Unlock()
		return nil
	}
	t.state = ErrClosed
	t.mu.Unlock()
	if errors.Is(prev, ErrTokenHung) {
		go t.cleanup(false)
		return nil
	}
	err, abandoned := bounded(context.Background(), t.cfg.Clock, t.cfg.Deadline, func() error {
		return t.cleanup(prev == nil)
	}, nil)
	if abandoned {
		t.log.Error("token close abandoned at its deadline", "slot", t.slot)
		return ErrTokenHung
	}
	return err
}

// cleanup waits for any call in progress, then logs out (if logout),
// closes the session and releases the slot and the module.
func (t *Token) cleanup(logout bool) error {
	t.busy.Lock()
	defer t.busy.Unlock()
	t.mu.Lock()
	logout = logout && t.loggedIn
	t.loggedIn = false
	t.mu.Unlock()
	if logout {
		_ = t.p.Logout(t.sess)
	}
	_ = t.p.CloseSession(t.sess)
	t.mod.freeSlot(t.slot)
	return t.mod.release()
}
