package cardauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"clinicgw/sync/clock"
	"clinicgw/sync/i18n"
)

// Staff is a member of staff as the directory knows them, with what they
// may do for this unit now.
type Staff struct {
	HSAID string
	Name  string // for the UI only; never logged
	Title string // as patients see it with an answer
	// Roles are the codes of the roles the directory grants them here
	// (agent/cases.Role): cardauth carries them into the session unread.
	Roles []string
}

// CertChecker checks a card's authentication certificate: chain to the
// SITHS trust anchors, validity, key usage, revocation. It returns the
// HSA-ID the certificate names. (cardauth/siths does this.)
type CertChecker interface {
	CheckAuthCert(ctx context.Context, leaf *x509.Certificate) (hsaID string, err error)
}

// StaffLookup returns the member of staff with hsaID if they have an
// active commission for this unit at now, and an error saying why not
// otherwise. (agent/directory does this.)
type StaffLookup interface {
	Staff(hsaID string, now time.Time) (Staff, error)
}

// Config is what an Authenticator needs.
type Config struct {
	// Origin is the gateway's web origin as browsers see it
	// ("https://gw.example.se:8443"): signatures are bound to it.
	Origin string
	Certs  CertChecker
	Staff  StaffLookup
	Clock  clock.Clock // the system clock if nil
	Rand   io.Reader   // crypto/rand if nil
	Logger *slog.Logger
	// IdleTimeout and AbsoluteTimeout default to the package constants;
	// ChallengeTTL to the constant of that name.
	IdleTimeout, AbsoluteTimeout, ChallengeTTL time.Duration
	// PresenceWindow is how long after login a session may live before a
	// bridge connects to watch its card (PresenceHandler); an unwatched
	// session then ends (EndUnwatched). 0 means sessions need no bridge:
	// only for a gateway that watches its own reader and calls CardRemoved.
	// DefaultPresenceWindow is the value to use otherwise.
	PresenceWindow time.Duration
	// OnEnd, when not nil, is called after a session ends (outside locks).
	OnEnd func(Session, EndReason)
}

// Authenticator issues login challenges, verifies the card's answers and
// keeps the sessions. Safe for concurrent use.
type Authenticator struct {
	origin string
	certs  CertChecker
	staff  StaffLookup
	clock  clock.Clock
	log    *slog.Logger
	ch     *challenges
	ss     *sessions
	counts loginCounts
}

// New checks cfg and returns an Authenticator.
func New(cfg Config) (*Authenticator, error) {
	u, err := url.Parse(cfg.Origin)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("cardauth: origin %q: expected https://host[:port] and nothing more", cfg.Origin)
	}
	if cfg.Certs == nil || cfg.Staff == nil {
		return nil, errors.New("cardauth: a certificate checker and a staff lookup are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.IdleTimeout, IdleTimeout)
	def(&cfg.AbsoluteTimeout, AbsoluteTimeout)
	def(&cfg.ChallengeTTL, ChallengeTTL)
	return &Authenticator{
		origin: cfg.Origin, certs: cfg.Certs, staff: cfg.Staff, clock: cfg.Clock, log: cfg.Logger,
		ch: &challenges{clock: cfg.Clock, rand: cfg.Rand, ttl: cfg.ChallengeTTL, m: make(map[string]challenge)},
		ss: &sessions{clock: cfg.Clock, rand: cfg.Rand, idle: cfg.IdleTimeout, absolute: cfg.AbsoluteTimeout,
			presence: cfg.PresenceWindow, m: make(map[string]*session), onEnd: cfg.OnEnd},
	}, nil
}

// Origin is the origin signatures are bound to.
func (a *Authenticator) Origin() string { return a.origin }

// Challenge issues a login nonce for the browser identified by binding (a
// pre-login cookie's value), replacing any older one of it. The nonce is
// good for one login within ChallengeTTL.
func (a *Authenticator) Challenge(binding string) (nonce string, expires time.Time, err error) {
	return a.ch.issue(binding)
}

// LoginError is a refused login: what failed, for the log and the page.
type LoginError struct {
	Step string // "challenge", "token", "signature", "certificate", "commission"
	Err  error
}

func (e *LoginError) Error() string { return "login refused at " + e.Step + ": " + e.Err.Error() }
func (e *LoginError) Unwrap() error { return e.Err }

// Swedish says in plain words what went wrong and what to do.
func (e *LoginError) Swedish() string { return e.In("sv") }

// English is Swedish's words in English, for staff who chose English.
func (e *LoginError) English() string { return e.In("en") }

// In says what went wrong and what to do in lang, from the one catalogue
// (sync/i18n's login.refused.*; login.failed for a step without words of
// its own).
func (e *LoginError) In(lang string) string {
	if key := "login.refused." + e.Step; i18n.Has(key) {
		return i18n.T(lang, key)
	}
	return i18n.T(lang, "login.failed")
}

// Login verifies the card's answer to binding's challenge and, if all
// holds, ends the browser's previous session (if any) and starts a new one
// with a new id (AU4). The checks, in order: the challenge exists, is
// unused and fresh (it is used up now, whatever follows); the token is well
// formed; its signature verifies over this origin and that nonce; the
// certificate passes the SITHS checks; its HSA-ID has an active commission
// for this unit. Every outcome is logged with the HSA-ID where known.
func (a *Authenticator) Login(ctx context.Context, binding string, token []byte, previous string) (Session, error) {
	fail := func(step string, hsaID string, err error) (Session, error) {
		a.log.Warn("login refused", "step", step, "hsaId", hsaID, "err", err)
		a.counts.refused(step)
		return Session{}, &LoginError{Step: step, Err: err}
	}
	nonce, err := a.ch.take(binding)
	if err != nil {
		return fail("challenge", "", err)
	}
	t, err := ParseAuthToken(token)
	if err != nil {
		return fail("token", "", err)
	}
	cert, err := t.Certificate()
	if err != nil {
		return fail("token", "", err)
	}
	if err := t.verifySignature(cert, a.origin, nonce); err != nil {
		return fail("signature", "", err)
	}
	hsaID, err := a.certs.CheckAuthCert(ctx, cert)
	if err != nil {
		return fail("certificate", hsaID, err)
	}
	st, err := a.staff.Staff(hsaID, a.clock.Now())
	if err != nil {
		return fail("commission", hsaID, err)
	}
	if st.HSAID != hsaID {
		return fail("commission", hsaID, errors.New("the directory answered for another person"))
	}
	if previous != "" {
		a.ss.end(func(s *Session) bool { return s.ID == previous }, EndRelogin)
	}
	s, err := a.ss.create(st, CardID(cert))
	if err != nil {
		return Session{}, err
	}
	a.log.Info("login", "hsaId", hsaID, "roles", st.Roles, "alg", t.Algorithm)
	a.counts.succeeded.Add(1)
	return s, nil
}

// ErrAccessRevoked is a session whose holder lost their commission.
var ErrAccessRevoked = errors.New("the commission for this unit is no longer active")

// CardID is what a session is bound to: the SHA-256 of the card's
// authentication certificate, hex. The bridge and a gateway watching its
// own reader report removals by it.
func CardID(cert *x509.Certificate) string {
	fp := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(fp[:])
}

// Session returns the live session id and marks it used now; an unknown or
// expired one is an error (ErrNoSession, ErrSessionExpired). The holder's
// commission is checked again on every call, so one that runs out ends the
// session at the next request, without waiting for a directory change
// (ErrAccessRevoked).
func (a *Authenticator) Session(id string) (Session, error) { return a.session(id, true) }

// Peek is Session without marking the session used: for what a page does
// by itself (a live update it was pushed), which must not keep an idle
// session alive.
func (a *Authenticator) Peek(id string) (Session, error) { return a.session(id, false) }

func (a *Authenticator) session(id string, touch bool) (Session, error) {
	s, err := a.ss.get(id, touch)
	if err != nil {
		return Session{}, err
	}
	if _, err := a.staff.Staff(s.Staff.HSAID, a.clock.Now()); err != nil {
		a.endSession(id, EndRevoked)
		return Session{}, fmt.Errorf("%w: %v", ErrAccessRevoked, err)
	}
	return s, nil
}

// Logout ends session id.
func (a *Authenticator) Logout(id string) {
	if a.ss.end(func(s *Session) bool { return s.ID == id }, EndLogout) > 0 {
		a.log.Info("logout")
	}
}

// CardRemoved ends every session bound to the card (its certificate's
// SHA-256, hex) and returns how many.
func (a *Authenticator) CardRemoved(card string, reason EndReason) int {
	n := a.ss.end(func(s *Session) bool { return s.Card == card }, reason)
	if n > 0 {
		a.log.Info("sessions ended: card gone", "sessions", n, "reason", reason)
	}
	return n
}

// EndStaff ends every session of hsaID (a commission removed, an
// administrator's action) and returns how many.
func (a *Authenticator) EndStaff(hsaID string, reason EndReason) int {
	n := a.ss.end(func(s *Session) bool { return s.Staff.HSAID == hsaID }, reason)
	if n > 0 {
		a.log.Info("sessions ended", "hsaId", hsaID, "sessions", n, "reason", reason)
	}
	return n
}

// Sweep ends every session past its idle or absolute limit; run it every
// few seconds so that abandoned sessions' websockets close on time.
func (a *Authenticator) Sweep() int { return a.ss.sweep() }

// Sessions is the number of live sessions (for metrics).
func (a *Authenticator) Sessions() int { return a.ss.count() }
