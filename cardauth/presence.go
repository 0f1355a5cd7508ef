package cardauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Card presence: after a login the workstation's bridge holds a websocket
// to the gateway (PathPresence) and reports the card in its reader every
// heartbeat and at once when it changes. A report without the session's
// card ends the session (card removed); no report for heartbeat + 1 s on
// the gateway's clock ends it too (the bridge or the workstation is gone).
// The bridge proves which session it watches with the session's presence
// ticket, good for one connection, sent as "Authorization: Bearer TICKET"
// (never in a URL).

// PathPresence is where the bridge connects.
const PathPresence = "/v1/card-presence"

// DefaultHeartbeat is how often the bridge reports when nothing changes.
const DefaultHeartbeat = 2 * time.Second

// DefaultPresenceWindow is how long a session may live after login before
// a bridge connects to watch its card (Config.PresenceWindow): the login
// page hands the bridge the ticket at once, so a session still unwatched
// then was made without one, and would outlive its card.
const DefaultPresenceWindow = 30 * time.Second

// PresenceGrace is how long past a heartbeat the gateway waits for a report
// before it ends the session.
const PresenceGrace = time.Second

// PresenceReport is one report from the bridge.
type PresenceReport struct {
	Present bool   `json:"present"` // a card is in the reader
	Card    string `json:"card"`    // SHA-256 of its authentication certificate, hex; "" if none
}

// maxPresenceMessage bounds a report's size.
const maxPresenceMessage = 512

// ErrNoTicket is a presence connection without a valid ticket.
var ErrNoTicket = errors.New("no valid presence ticket")

// newTicket makes a presence ticket for session id.
func (s *sessions) newTicket(id string) (string, error) {
	b := make([]byte, sessionIDBytes)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("presence ticket: %w", err)
	}
	t := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if x, ok := s.m[id]; ok {
		x.ticket = t
		return t, nil
	}
	return "", ErrNoSession
}

// takeTicket returns the live session whose ticket t is, uses the ticket
// up and marks the session watched.
func (s *sessions) takeTicket(t string) (Session, error) {
	if t == "" {
		return Session{}, ErrNoTicket
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.m {
		if x.ticket != "" && x.ticket == t {
			x.ticket, x.watched = "", true
			return x.Session, nil
		}
	}
	return Session{}, ErrNoTicket
}

// PresenceTicket makes a new one-use ticket with which a bridge can watch
// session id (the login page hands it to the bridge). A newer ticket
// replaces an unused older one.
func (a *Authenticator) PresenceTicket(id string) (string, error) { return a.ss.newTicket(id) }

// PresenceHandler serves PathPresence: it ends a session when its bridge
// reports the card gone or another card, or stops reporting for
// heartbeat + PresenceGrace; it closes the connection when the session
// ends for any reason.
func (a *Authenticator) PresenceHandler(heartbeat time.Duration) http.Handler {
	if heartbeat <= 0 {
		heartbeat = DefaultHeartbeat
	}
	up := websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		// The bridge is not a browser and sends no Origin; a browser always
		// does, and has no business here.
		CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "" },
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ticket, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s, err := a.ss.takeTicket(ticket)
		if err != nil {
			a.log.Warn("presence connection refused", "err", err)
			http.Error(w, "no valid presence ticket", http.StatusUnauthorized)
			return
		}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade answered the client
		}
		defer conn.Close()
		conn.SetReadLimit(maxPresenceMessage)
		a.log.Info("card presence watched", "hsaId", s.Staff.HSAID)
		a.watchPresence(conn, s, heartbeat+PresenceGrace)
	})
}

// watchPresence ends s when the bridge on conn reports the card gone or
// another card, closes the connection, or sends no report for limit. The
// limit is measured by the Authenticator's clock, as every other session
// limit: its timer wakes the check and its time decides, so a test's clock
// that stands still never ends a session however slow the machine. The
// way out of a read the bridge never answers is the clock's timer, which
// closes the connection (no wall-clock read deadline: with websocket a
// read that times out leaves the connection unusable). It closes the
// connection when the session ends for any reason.
func (a *Authenticator) watchPresence(conn *websocket.Conn, s Session, limit time.Duration) {
	reports := make(chan []byte)
	lost := make(chan struct{})
	stop := make(chan struct{})
	defer close(stop) // before the caller's conn.Close: the reader ends on either
	go func() {
		defer close(lost)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			select {
			case reports <- data:
			case <-stop:
				return
			}
		}
	}()
	last := a.clock.Now()
	silence := a.clock.NewTimer(limit)
	defer silence.Stop()
	for {
		select {
		case <-s.Done: // ended elsewhere
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "session ended")
			_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			return
		case <-lost:
			select {
			case <-s.Done: // ended elsewhere at the same moment: that reason stands
			default:
				a.endSession(s.ID, EndBridgeGone)
			}
			return
		case <-silence.C():
			quiet := max(a.clock.Now().Sub(last), 0)
			if quiet < limit { // the clock's time has not moved as far as its timers
				silence.Reset(limit - quiet)
				continue
			}
			a.log.Warn("the bridge stopped reporting; ending the session", "hsaId", s.Staff.HSAID)
			a.endSession(s.ID, EndBridgeGone)
			return
		case data := <-reports:
			var rep PresenceReport
			if err := json.Unmarshal(data, &rep); err != nil {
				a.log.Warn("presence report not understood; ending the session", "hsaId", s.Staff.HSAID)
				a.endSession(s.ID, EndBridgeGone)
				return
			}
			if !rep.Present || rep.Card != s.Card {
				a.endSession(s.ID, EndCardGone)
				return
			}
			last = a.clock.Now()
			silence.Reset(limit)
		}
	}
}

// endSession ends session id for reason and logs it.
func (a *Authenticator) endSession(id string, reason EndReason) {
	if a.ss.end(func(s *Session) bool { return s.ID == id }, reason) > 0 {
		a.log.Info("session ended", "reason", reason)
	}
}
