package cardauth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"clinicgw/sync/clock"
)

// Session limits (checklist AU2).
const (
	IdleTimeout     = 15 * time.Minute
	AbsoluteTimeout = 12 * time.Hour
	sessionIDBytes  = 32 // 256 bits from crypto/rand (AU4)
)

// Session errors.
var (
	ErrNoSession      = errors.New("no such session")
	ErrSessionExpired = errors.New("the session expired")
)

// EndReason says why a session ended.
type EndReason string

// The reasons a session ends.
const (
	EndLogout     EndReason = "logout"
	EndIdle       EndReason = "idle"     // no request for IdleTimeout
	EndAbsolute   EndReason = "absolute" // AbsoluteTimeout after login
	EndCardGone   EndReason = "card-removed"
	EndBridgeGone EndReason = "bridge-lost"      // the workstation's bridge stopped reporting
	EndUnwatched  EndReason = "card-not-watched" // no bridge took up watching the card within the presence window
	EndRelogin    EndReason = "relogin"          // the same browser logged in again
	EndRevoked    EndReason = "access-revoked"
	EndAdmin      EndReason = "admin"
)

// Session is one member of staff logged in with one card in one browser.
// It lives in memory only: a restart logs everyone out (AU4).
type Session struct {
	ID       string
	Staff    Staff
	Card     string // the card's binding: SHA-256 of its authentication certificate, hex
	Created  time.Time
	LastSeen time.Time
	// Done is closed when the session ends, so that its websockets and
	// open pages can be closed at once.
	Done <-chan struct{}
}

type session struct {
	Session
	done   chan struct{}
	ended  bool
	reason EndReason
	ticket string // the unused presence ticket, if any
	// watched is set when a bridge connected to watch the session's card;
	// until then the session lives at most the presence window.
	watched bool
}

// sessions holds the live sessions.
type sessions struct {
	mu       sync.Mutex
	clock    clock.Clock
	rand     io.Reader
	idle     time.Duration
	absolute time.Duration
	presence time.Duration // the presence window; 0: sessions need no bridge
	m        map[string]*session
	onEnd    func(Session, EndReason)
}

func (s *sessions) create(st Staff, card string) (Session, error) {
	b := make([]byte, sessionIDBytes)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return Session{}, fmt.Errorf("new session: %w", err)
	}
	now := s.clock.Now()
	x := &session{done: make(chan struct{})}
	x.Session = Session{ID: base64.RawURLEncoding.EncodeToString(b), Staff: st, Card: card, Created: now, LastSeen: now, Done: x.done}
	s.mu.Lock()
	s.m[x.ID] = x
	s.mu.Unlock()
	return x.Session, nil
}

// get returns the live session id and, with touch, marks it seen now. An
// expired one is ended on the way (ErrSessionExpired).
func (s *sessions) get(id string, touch bool) (Session, error) {
	now := s.clock.Now()
	s.mu.Lock()
	x, ok := s.m[id]
	if !ok {
		s.mu.Unlock()
		return Session{}, ErrNoSession
	}
	if r, expired := s.expired(x, now); expired {
		s.endLocked(x, r)
		s.mu.Unlock()
		s.notify(x)
		return Session{}, fmt.Errorf("%w (%s)", ErrSessionExpired, r)
	}
	if touch {
		x.LastSeen = now
	}
	out := x.Session
	s.mu.Unlock()
	return out, nil
}

// expired reports whether x has passed a limit at now, and which. The
// limits are exact: a request at IdleTimeout after the last one is late.
func (s *sessions) expired(x *session, now time.Time) (EndReason, bool) {
	switch {
	case !now.Before(x.Created.Add(s.absolute)):
		return EndAbsolute, true
	case !now.Before(x.LastSeen.Add(s.idle)):
		return EndIdle, true
	case s.presence > 0 && !x.watched && !now.Before(x.Created.Add(s.presence)):
		return EndUnwatched, true
	}
	return "", false
}

// end ends the sessions that match, for reason; it returns how many.
func (s *sessions) end(match func(*Session) bool, reason EndReason) int {
	return s.endWhere(func(x *session) (EndReason, bool) { return reason, match(&x.Session) })
}

// sweep ends every session past a limit; the caller runs it now and then
// so that an abandoned session's websockets close too.
func (s *sessions) sweep() int {
	now := s.clock.Now()
	return s.endWhere(func(x *session) (EndReason, bool) { return s.expired(x, now) })
}

// endWhere ends each session for which why says so, with its reason, and
// tells OnEnd after the lock is released; it returns how many ended.
func (s *sessions) endWhere(why func(*session) (EndReason, bool)) int {
	s.mu.Lock()
	var ended []*session
	for _, x := range s.m {
		if r, ok := why(x); ok {
			s.endLocked(x, r)
			ended = append(ended, x)
		}
	}
	s.mu.Unlock()
	for _, x := range ended {
		s.notify(x)
	}
	return len(ended)
}

func (s *sessions) endLocked(x *session, r EndReason) {
	if x.ended {
		return
	}
	x.ended, x.reason = true, r
	delete(s.m, x.ID)
	close(x.done)
}

func (s *sessions) notify(x *session) {
	if s.onEnd != nil {
		s.onEnd(x.Session, x.reason)
	}
}

func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
