package central

import (
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"clinicgw/sync/wire"
)

// hub tells the open streams of a unit that its log has grown. A
// subscriber holds at most one pending notice, the newest head: a slow
// stream skips to the latest sequence number and never blocks a commit.
type hub struct {
	mu    sync.Mutex
	subs  map[string]map[*subscriber]struct{}
	waits map[string][]chan struct{} // booking request id → patients' clicks waiting (bookingnotice.go)
}

type subscriber struct {
	ch chan uint64 // capacity 1: the newest head not yet sent
	// booking (capacity 1) holds a booking announcement not yet sent; nil
	// when the stream did not ask for them.
	booking chan struct{}
}

func newHub() *hub {
	return &hub{subs: make(map[string]map[*subscriber]struct{}), waits: make(map[string][]chan struct{})}
}

// subscribe registers a stream of unit (with booking announcements if
// booking); call the returned function to leave.
func (h *hub) subscribe(unit string, booking bool) (*subscriber, func()) {
	sub := &subscriber{ch: make(chan uint64, 1)}
	if booking {
		sub.booking = make(chan struct{}, 1)
	}
	h.mu.Lock()
	if h.subs[unit] == nil {
		h.subs[unit] = make(map[*subscriber]struct{})
	}
	h.subs[unit][sub] = struct{}{}
	h.mu.Unlock()
	return sub, func() {
		h.mu.Lock()
		delete(h.subs[unit], sub)
		h.mu.Unlock()
	}
}

// publish tells unit's streams that its events now reach seq. Only
// publish sends on the channels, under the lock, so after the drain the
// send never blocks.
func (h *hub) publish(unit string, seq uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs[unit] {
		select {
		case old := <-sub.ch:
			if old > seq {
				seq = old
			}
		default:
		}
		sub.ch <- seq
	}
}

// streamWriteTimeout bounds every write on a stream.
const streamWriteTimeout = 10 * time.Second

// streamReadLimit bounds what the gateway may send on the stream: it sends
// nothing but control frames.
const streamReadLimit = 512

// serveStream upgrades to the websocket of wire.PathStream and announces
// the unit's head: hello at once, then events whenever it grows.
func (s *Store) serveStream(w http.ResponseWriter, r *http.Request, unit string) {
	// A browser always sends Origin; the gateway never does. Refusing any
	// Origin keeps every web page, this store's own included, off the
	// stream.
	if len(r.Header.Values("Origin")) > 0 {
		wire.WriteProblem(w, *wire.Forbidden("The stream does not accept requests from web pages (an Origin header was sent)."))
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		wire.WriteProblem(w, *wire.BadRequest("The stream is a websocket; send an upgrade request over HTTP/1.1."))
		return
	}
	if !s.enterStream() {
		wire.WriteProblem(w, *wire.Unavailable())
		return
	}
	defer s.streams.Done()
	// Subscribe before reading the head, so no commit falls between.
	sub, leave := s.hub.subscribe(unit, r.URL.RawQuery == wire.StreamAnnounceBooking)
	defer leave()
	head, err := s.Head(r.Context(), unit)
	if err != nil {
		s.log.Error("stream head", "unit", unit, "err", err)
		wire.WriteProblem(w, *wire.Internal())
		return
	}
	up := websocket.Upgrader{
		HandshakeTimeout: streamWriteTimeout,
		CheckOrigin:      func(r *http.Request) bool { return len(r.Header.Values("Origin")) == 0 },
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			wire.WriteProblem(w, *wire.BadRequest("The websocket handshake failed."))
		},
	}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered
	}
	defer conn.Close()
	s.log.Debug("stream opened", "unit", unit, "seq", head)

	send := func(m wire.StreamMessage) bool {
		b, err := wire.Marshal(m)
		if err != nil {
			s.log.Error("stream message", "unit", unit, "err", err)
			return false
		}
		_ = conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		return conn.WriteMessage(websocket.TextMessage, b) == nil
	}
	if !send(wire.StreamMessage{Type: wire.StreamHello, Seq: head}) {
		return
	}

	// The reader answers pings and close frames and notices a dead peer.
	conn.SetReadLimit(streamReadLimit)
	_ = conn.SetReadDeadline(time.Now().Add(wire.StreamIdleTimeout))
	conn.SetPongHandler(func(string) error {
		return conn.SetReadDeadline(time.Now().Add(wire.StreamIdleTimeout))
	})
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
			// The gateway has nothing to say; data frames are dropped.
		}
	}()

	ping := s.clock.NewTicker(wire.StreamPingInterval)
	defer ping.Stop()
	sent := head
	for {
		select {
		case seq := <-sub.ch:
			if seq <= sent {
				continue
			}
			if !send(wire.StreamMessage{Type: wire.StreamEvents, Seq: seq}) {
				return
			}
			sent = seq
		case <-sub.booking: // nil unless the gateway asked: never ready
			if !send(wire.StreamMessage{Type: wire.StreamBooking, Seq: sent}) {
				return
			}
		case <-ping.C():
			if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(streamWriteTimeout)) != nil {
				return
			}
		case <-gone:
			return
		case <-s.done:
			msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down")
			_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			return
		}
	}
}
