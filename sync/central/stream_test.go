package central

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
)

// streamWait bounds every wait for a stream message; the messages come at
// once, so it only stops a broken test from hanging.
const streamWait = 5 * time.Second

// dialStream opens unit's stream on srv with the given extra headers.
func (e *env) dialStream(unit string, header http.Header) (*websocket.Conn, *http.Response, error) {
	cfg := tlsconf.Client(e.certs[unit], e.pki.RootPool(), "127.0.0.1", nil)
	cfg.NextProtos = []string{"http/1.1"} // websockets run over HTTP/1.1
	d := websocket.Dialer{TLSClientConfig: cfg, HandshakeTimeout: streamWait}
	url := "wss" + strings.TrimPrefix(e.api.URL, "https") + wire.PathStream
	return d.Dial(url, header)
}

// streamReader delivers the stream's messages (or its end) on a channel.
func streamReader(conn *websocket.Conn) <-chan any {
	ch := make(chan any, 16)
	go func() {
		defer close(ch)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				ch <- err
				return
			}
			m, err := wire.DecodeStreamMessage(bytes.NewReader(data))
			if err != nil {
				ch <- err
				return
			}
			ch <- m
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan any) wire.StreamMessage {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatal("the stream ended")
		}
		m, ok := v.(wire.StreamMessage)
		if !ok {
			t.Fatalf("stream: %v", v)
		}
		return m
	case <-time.After(streamWait):
		t.Fatal("no stream message in time")
	}
	return wire.StreamMessage{}
}

func TestStream(t *testing.T) {
	e := newEnv(t)
	e.submit(unitA, "Före anslutningen.")

	connA, _, err := e.dialStream(unitA, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer connA.Close()
	connB, _, err := e.dialStream(unitB, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer connB.Close()
	msgsA, msgsB := streamReader(connA), streamReader(connB)

	if m := next(t, msgsA); m.Type != wire.StreamHello || m.Seq != 1 {
		t.Fatalf("unit A's first message %+v, want hello 1", m)
	}
	if m := next(t, msgsB); m.Type != wire.StreamHello || m.Seq != 0 {
		t.Fatalf("unit B's first message %+v, want hello 0", m)
	}
	for want := uint64(2); want <= 3; want++ {
		e.submit(unitA, "Efter anslutningen.")
		if m := next(t, msgsA); m.Type != wire.StreamEvents || m.Seq != want {
			t.Fatalf("after a submit: %+v, want events %d", m, want)
		}
	}
	// Unit B hears of its own events only: its first message after hello
	// is its own seq 1, not unit A's.
	e.submit(unitB, "Till Björken.")
	if m := next(t, msgsB); m.Type != wire.StreamEvents || m.Seq != 1 {
		t.Fatalf("unit B: %+v, want events 1", m)
	}

	// Close ends the streams with a going-away close frame.
	e.api.Close()
	e.apiLoose.Close()
	e.web.Close()
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	e.store = nil
	select {
	case v := <-msgsA:
		var ce *websocket.CloseError
		if err, _ := v.(error); !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("after Close: %v, want a going-away close", v)
		}
	case <-time.After(streamWait):
		t.Error("the stream stayed open after Close")
	}
}

func TestStreamRefusesOrigin(t *testing.T) {
	e := newEnv(t)
	for _, origin := range []string{"https://evil.example", e.web.URL, "null"} {
		conn, resp, err := e.dialStream(unitA, http.Header{"Origin": {origin}})
		if err == nil {
			conn.Close()
			t.Errorf("Origin %s: the stream opened", origin)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden || resp.Header.Get("Content-Type") != wire.ContentTypeProblem {
			t.Errorf("Origin %s: %v %v", origin, resp, err)
		}
	}
	// Unit C, not served, cannot open one either.
	if conn, _, err := e.dialStream(unitC, nil); err == nil {
		conn.Close()
		t.Error("unit C opened a stream")
	}
}
