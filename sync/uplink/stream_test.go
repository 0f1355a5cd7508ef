package uplink

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
)

// scriptedStream is a central store whose first stream says hello, pings
// six times 150 ms apart, announces events up to seq 3 and then falls
// silent; later streams say hello and fall silent. It counts what the
// gateway does.
type scriptedStream struct {
	mu       sync.Mutex
	dials    int
	origins  int  // upgrade requests with an Origin header
	pongs    int  // pongs on the first stream
	pings    int  // pings sent on the first stream
	survived bool // the first stream was still up after the last ping
	dropped  bool // the gateway closed the first stream
	pulls    int  // inbox requests
	pullsAt  int  // inbox requests when seq 3 was announced
	pullsEnd int  // inbox requests when the gateway dropped the first stream
}

func (s *scriptedStream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case wire.PathInbox2:
		q, _ := wire.ParseInboxQuery(r.URL.Query())
		s.mu.Lock()
		s.pulls++
		s.mu.Unlock()
		_ = wire.WriteJSON(w, http.StatusOK, fakePage(nil, q.After))
		return
	case wire.PathStream2:
	default:
		wire.WriteProblem(w, *wire.NotFound("No such endpoint."))
		return
	}
	s.mu.Lock()
	s.dials++
	first := s.dials == 1
	if r.Header.Get("Origin") != "" {
		s.origins++
	}
	s.mu.Unlock()
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	send := func(m wire.StreamMessage) error {
		b, _ := wire.Marshal(m)
		return conn.WriteMessage(websocket.TextMessage, b)
	}
	if send(wire.StreamMessage{Type: wire.StreamHello}) != nil {
		return
	}
	gone := make(chan struct{})
	conn.SetPongHandler(func(string) error { s.mu.Lock(); s.pongs++; s.mu.Unlock(); return nil })
	go func() { // the reader runs the pong handler and notices the close
		defer close(gone)
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()
	if first {
		for range streamIdlePings {
			select {
			case <-gone:
				return
			case <-time.After(streamIdleGap):
			}
			if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second)) != nil {
				return
			}
			s.mu.Lock()
			s.pings++
			s.mu.Unlock()
		}
		s.mu.Lock()
		s.pullsAt = s.pulls
		s.mu.Unlock()
		if send(wire.StreamMessage{Type: wire.StreamEvents, Seq: 3}) != nil {
			return
		}
		s.mu.Lock()
		s.survived = true
		s.mu.Unlock()
	}
	select {
	case <-gone: // the gateway gave up on the silent stream
		s.mu.Lock()
		if first {
			s.dropped, s.pullsEnd = true, s.pulls
		}
		s.mu.Unlock()
	case <-r.Context().Done():
	}
}

// The idle timeout is the websocket's read deadline, a real-time deadline
// of the network connection that no fake clock reaches, so TestStreamIdle
// runs in real time with wide margins: ten pings 250 ms apart span 2.5 s,
// longer than the 1.5 s timeout, so the stream outlasts them only if each
// one resets the deadline, and a ping may come up to 1.25 s late on a
// loaded machine before the test would fail wrongly (with 150 ms against
// 600 ms, a 450 ms stall at load 20–35 failed it).
const (
	streamIdle      = 1500 * time.Millisecond
	streamIdleGap   = 250 * time.Millisecond
	streamIdlePings = 10
)

// TestStreamIdle: pings keep the stream up past the idle timeout and are
// answered; an announcement beyond the cursor starts a pull; a stream
// silent for the idle timeout is dropped and dialled again; no dial sends
// an Origin header.
func TestStreamIdle(t *testing.T) {
	script := &scriptedStream{}
	srv := serveTLS(t, script)

	up, err := New(Config{BaseURL: srv.URL, TLS: tlsconf.Client(unitCert(t), testPKI().RootPool(), "127.0.0.1", nil),
		Cases: newMemCases(), PollInterval: time.Hour, PushInterval: time.Hour, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	up.idle = streamIdle
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- up.Run(ctx) }()
	defer func() { cancel(); <-done; srv.CloseClientConnections() }()

	waitFor(t, 10*time.Second, "a second dial after the silence", func() bool {
		script.mu.Lock()
		defer script.mu.Unlock()
		return script.dials >= 2 && script.dropped
	})
	script.mu.Lock()
	defer script.mu.Unlock()
	if !script.survived || script.pings != streamIdlePings {
		t.Errorf("the stream did not outlast %d pings (%d sent): pings do not reset the read deadline", streamIdlePings, script.pings)
	}
	if script.pongs < streamIdlePings {
		t.Errorf("%d pongs for %d pings", script.pongs, streamIdlePings)
	}
	if !script.dropped {
		t.Error("the gateway did not drop the silent stream")
	} else if script.pullsEnd <= script.pullsAt {
		t.Error("the announcement of seq 3 did not start a pull")
	}
	if script.origins != 0 {
		t.Errorf("%d dials sent an Origin header", script.origins)
	}
}
