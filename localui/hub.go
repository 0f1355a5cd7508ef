package localui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"clinicgw/agent/cases"
	"clinicgw/cardauth"
)

// The page's websocket (GET /ws). Every page rendered for a session opens
// one, live data or not: its closing is what locks the page. A page that
// shows live data says what it shows:
//
//	{"t":"watch","list":"inbox"}   the distributor's inbox
//	{"t":"watch","list":"mine"}    a clinician's own cases
//	{"t":"watch","case":"ID"}      one case
//	{"t":"watch","list":"queue","group":"ID"}  a staff group's queue (its members and the distributor);
//	                                           taken up, the server answers {"t":"watching"}
//
// and the server pushes {"t":"changed","ids":[...]} when cases it may care
// about change; the page then fetches its changed part over HTTPS (where
// the case service checks and logs the read). A case watch is checked by
// the case service first: refused, the server answers
// {"t":"denied","status":403} and closes. A page that sends no watch gets
// no changes. When the session ends, for whatever reason, the server
// closes with code closeSessionEnded, and the page locks: it removes
// everything it showed, typed text included, and shows only the lock
// screen (static/app.js). Case ids carry nothing about the patient.

// Websocket close codes the page understands.
const (
	closeSessionEnded = 4001
	closeDenied       = 4003
)

// Limits of the page's websocket.
const (
	wsMaxMessage = 512
	wsSendQueue  = 16
	wsPing       = 25 * time.Second
	wsWriteWait  = 5 * time.Second
	// wsSyncPoll is how often a page's websocket looks at the sync state
	// (a lock and three numbers: SyncState) and pushes the header badge
	// when its words changed.
	wsSyncPoll = time.Second
)

type hub struct {
	s       *Server
	up      websocket.Upgrader
	mu      sync.Mutex
	clients map[*client]struct{} // every page's websocket, from its handler's start to its end

	// At shutdown: stopping is closed, which closes every page's
	// websocket; drained is closed once the last handler has returned.
	stopping chan struct{}
	drained  chan struct{}
}

// client is one open page.
type client struct {
	sess  cardauth.Session
	send  chan []cases.ID // changes to pass on; nil ids means "everything may have changed"
	lang  lang            // the page's language, for the badge's words
	badge badge           // the badge last pushed; the writer's own

	wmu sync.Mutex // one writer of data messages at a time

	mu    sync.Mutex
	list  string   // "inbox", "mine" or "queue", if the page shows a list
	group string   // the group whose queue the page shows (list "queue")
	watch cases.ID // the case the page shows, if any
}

func newHub(s *Server) *hub {
	h := &hub{s: s, clients: map[*client]struct{}{}, stopping: make(chan struct{}), drained: make(chan struct{})}
	h.up = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      func(r *http.Request) bool { return r.Header.Get("Origin") == s.cfg.Origin },
	}
	return h
}

// notify passes the changed ids to every page that shows one of them, the
// inbox, or the own list of a clinician the change touches.
func (h *hub) notify(ch cases.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		if !c.wants(ch) {
			continue
		}
		select {
		case c.send <- ch.IDs:
		default:
			// The page is slow: tell it to refresh whatever it shows.
			select {
			case <-c.send:
			default:
			}
			select {
			case c.send <- nil:
			default:
			}
		}
	}
}

// notifyDiary tells the open diary pages that the diary changed (diary.go):
// each refreshes its times, which the authority and the access log see
// again. It does not block.
func (h *hub) notifyDiary() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		c.mu.Lock()
		want := c.list == "diary"
		c.mu.Unlock()
		if !want {
			continue
		}
		select {
		case <-c.send: // a push waiting says "changed" too: make it "everything"
		default:
		}
		select {
		case c.send <- nil:
		default:
		}
	}
}

func (c *client) wants(ch cases.Change) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.list {
	case "inbox":
		return true
	case "mine": // a clinician's own cases: only when the change touches them
		return slices.Contains(ch.Assignees, actorOf(c.sess).HSAID)
	case "queue": // a group's queue: only when the change touches it
		return slices.Contains(ch.Groups, c.group)
	}
	for _, id := range ch.IDs {
		if id == c.watch && id != "" {
			return true
		}
	}
	return false
}

// serve upgrades a page's websocket: the Origin must be the UI's own
// (checklist WB2) and the session cookie live.
func (h *hub) serve(w http.ResponseWriter, r *http.Request) {
	s := h.s
	if o := r.Header.Get("Origin"); o != s.cfg.Origin {
		s.log.Warn("websocket from another origin refused")
		http.Error(w, "forbidden origin", http.StatusForbidden)
		return
	}
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		http.Error(w, "no session", http.StatusUnauthorized)
		return
	}
	sess, err := s.cfg.Login.Peek(ck.Value)
	if err != nil {
		http.Error(w, "no session", http.StatusUnauthorized)
		return
	}
	c := &client{sess: sess, send: make(chan []cases.ID, wsSendQueue), lang: langOf(r)}
	if !h.enter(c) {
		http.Error(w, "stopping", http.StatusServiceUnavailable)
		return
	}
	defer h.leave(c)
	conn, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade answered
	}
	done := make(chan struct{})
	var writer sync.WaitGroup
	writer.Go(func() { h.write(conn, c, done) })
	h.read(conn, c, r)
	close(done)
	writer.Wait()
}

// enter counts a page's websocket handler in, unless the hub is shutting
// down.
func (h *hub) enter(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.stopping:
		return false
	default:
	}
	h.clients[c] = struct{}{}
	return true
}

// leave counts the handler out when it returns.
func (h *hub) leave(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
	h.drainedIfIdle()
}

// drainedIfIdle closes drained once the hub is shutting down and no
// handler runs; h.mu held.
func (h *hub) drainedIfIdle() {
	select {
	case <-h.stopping:
	default:
		return
	}
	select {
	case <-h.drained:
	default:
		if len(h.clients) == 0 {
			close(h.drained)
		}
	}
}

// shutdown closes every page's websocket with 1001 (going away: the page
// tries again, and finds out whether its session outlived the stop),
// refuses new ones, and waits until their handlers have returned or ctx
// ends.
func (h *hub) shutdown(ctx context.Context) error {
	h.mu.Lock()
	select {
	case <-h.stopping:
	default:
		close(h.stopping)
	}
	h.drainedIfIdle()
	h.mu.Unlock()
	select {
	case <-h.drained:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("localui: page websockets still open: %w", ctx.Err())
	}
}

// read takes the page's watch messages until the connection ends.
func (h *hub) read(conn *websocket.Conn, c *client, r *http.Request) {
	defer conn.Close()
	conn.SetReadLimit(wsMaxMessage)
	for {
		var m struct {
			T     string   `json:"t"`
			List  string   `json:"list"`
			Case  cases.ID `json:"case"`
			Group string   `json:"group"`
		}
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if json.Unmarshal(data, &m) != nil || m.T != "watch" {
			h.closeWith(conn, websocket.CloseUnsupportedData, "bad message")
			return
		}
		actor := actorOf(c.sess)
		switch {
		case m.List == "inbox" && actor.Has(cases.Distributor), m.List == "mine" && actor.Has(cases.Clinician):
			c.mu.Lock()
			c.list = m.List
			c.mu.Unlock()
		case m.List == "diary" && (actor.Has(cases.Distributor) || actor.Has(cases.Clinician)) && h.s.cfg.Diary != nil:
			c.mu.Lock()
			c.list = m.List
			c.mu.Unlock()
			if c.writeJSON(conn, map[string]any{"t": "watching"}) != nil {
				return
			}
		case m.List == "queue" && h.s.mayWatchQueue(actor, m.Group):
			c.mu.Lock()
			c.list, c.group = m.List, m.Group
			c.mu.Unlock()
			if c.writeJSON(conn, map[string]any{"t": "watching"}) != nil {
				return
			}
		case m.List == "" && m.Case != "":
			err := h.s.cfg.Cases.Authorize(r.Context(), actor, m.Case)
			if err != nil {
				status := http.StatusForbidden
				if errors.Is(err, cases.ErrNotFound) {
					status = http.StatusNotFound
				}
				h.deny(conn, c, status)
				return
			}
			c.mu.Lock()
			c.watch = m.Case
			c.mu.Unlock()
		default:
			h.s.log.Warn("websocket watch refused", "hsaId", actor.HSAID, "list", m.List)
			h.deny(conn, c, http.StatusForbidden)
			return
		}
	}
}

func (h *hub) deny(conn *websocket.Conn, c *client, status int) {
	c.writeJSON(conn, map[string]any{"t": "denied", "status": status})
	h.closeWith(conn, closeDenied, "denied")
}

// writeJSON sends one data message; the page's reader and writer
// goroutines both send.
func (c *client) writeJSON(conn *websocket.Conn, v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
	return conn.WriteJSON(v)
}

func (h *hub) closeWith(conn *websocket.Conn, code int, reason string) {
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(wsWriteWait))
}

// write passes changes to the page, pings it, pushes the header badge
// when its words change ({"t":"sync","ok":BOOL,"text":"..."}: a time and
// a count, never patient data), and closes the connection when the
// session ends.
func (h *hub) write(conn *websocket.Conn, c *client, done <-chan struct{}) {
	ping := h.s.clock.NewTicker(wsPing)
	defer ping.Stop()
	var syncPoll <-chan time.Time // nil: no badge, no poll
	if h.s.cfg.Sync != nil {
		t := h.s.clock.NewTicker(wsSyncPoll)
		defer t.Stop()
		syncPoll = t.C()
	}
	for {
		var msg any
		select {
		case <-syncPoll:
			b := h.s.syncBadge(c.lang, true)
			if b == nil || *b == c.badge {
				continue
			}
			c.badge = *b
			msg = map[string]any{"t": "sync", "ok": b.OK, "text": b.Text}
		case <-done:
			return
		case <-h.stopping:
			h.closeWith(conn, websocket.CloseGoingAway, "server stopping")
			conn.Close()
			return
		case <-c.sess.Done:
			h.closeWith(conn, closeSessionEnded, "session ended")
			conn.Close()
			return
		case <-ping.C():
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)); err != nil {
				conn.Close()
				return
			}
			continue
		case ids := <-c.send:
			if ids == nil {
				msg = map[string]any{"t": "changed", "all": true}
			} else {
				msg = map[string]any{"t": "changed", "ids": ids}
			}
		}
		if err := c.writeJSON(conn, msg); err != nil {
			conn.Close()
			return
		}
	}
}
