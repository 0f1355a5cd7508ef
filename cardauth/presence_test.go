package cardauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"clinicgw/cardauth/devpki"
)

const testHeartbeat = 200 * time.Millisecond

// presenceServer serves f's presence handler over TLS on loopback.
func presenceServer(t *testing.T, f *fixture) (*httptest.Server, *websocket.Dialer) {
	t.Helper()
	srv := httptest.NewTLSServer(f.a.PresenceHandler(testHeartbeat))
	t.Cleanup(srv.Close)
	d := &websocket.Dialer{TLSClientConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig, HandshakeTimeout: 5 * time.Second}
	return srv, d
}

func dialPresence(d *websocket.Dialer, srv *httptest.Server, ticket string, h http.Header) (*websocket.Conn, *http.Response, error) {
	if h == nil {
		h = http.Header{}
	}
	if ticket != "" {
		h.Set("Authorization", "Bearer "+ticket)
	}
	return d.Dial("wss"+strings.TrimPrefix(srv.URL, "https")+PathPresence, h)
}

func report(t *testing.T, c *websocket.Conn, present bool, card string) {
	t.Helper()
	b, _ := json.Marshal(PresenceReport{Present: present, Card: card})
	if err := c.WriteMessage(websocket.TextMessage, b); err != nil {
		t.Fatal(err)
	}
}

// loginTicket logs a card in on f and returns the session and its
// presence ticket.
func loginTicket(t *testing.T, f *fixture) (Session, string) {
	t.Helper()
	s, err := f.login(t, f.cards[devpki.KeyECDSAP256], "b", false)
	if err != nil {
		t.Fatal(err)
	}
	ticket, err := f.a.PresenceTicket(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s, ticket
}

// watchSession logs a card in on f and connects a bridge to watch it
// through srv; the connection closes when the test ends.
func watchSession(t *testing.T, f *fixture, srv *httptest.Server, d *websocket.Dialer) (Session, *websocket.Conn) {
	t.Helper()
	s, ticket := loginTicket(t, f)
	conn, _, err := dialPresence(d, srv, ticket, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return s, conn
}

// waitDone waits until the session ends and returns how long it took.
func waitDone(t *testing.T, s Session, since time.Time) time.Duration {
	t.Helper()
	select {
	case <-s.Done:
		return time.Since(since)
	case <-time.After(10 * time.Second):
		t.Fatal("the session did not end within 10 s")
		return 0
	}
}

func TestPresenceRefused(t *testing.T) {
	f := newFixture(t)
	srv, d := presenceServer(t, f)
	s, ticket := loginTicket(t, f)
	for _, tc := range []struct {
		name   string
		ticket string
		h      http.Header
		status int
	}{
		{"no ticket", "", nil, http.StatusUnauthorized},
		{"a made-up ticket", "bm90LWEtdGlja2V0", nil, http.StatusUnauthorized},
		{"session id as ticket", s.ID, nil, http.StatusUnauthorized},
	} {
		_, resp, err := dialPresence(d, srv, tc.ticket, tc.h)
		if err == nil || resp == nil || resp.StatusCode != tc.status {
			t.Errorf("%s: %v (response %v), want %d", tc.name, err, resp, tc.status)
		}
	}
	c, _, err := dialPresence(d, srv, ticket, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, resp, err := dialPresence(d, srv, ticket, nil); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a used ticket was accepted again: %v", err)
	}
	t2, _ := f.a.PresenceTicket(s.ID)
	if _, resp, err := dialPresence(d, srv, t2, http.Header{"Origin": {"https://evil.example"}}); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a browser's connection was accepted: %v", err)
	}
}

// TestPresenceEndsSession (AU3): the card reported gone, another card, the
// bridge silent, the session ended elsewhere.
func TestPresenceEndsSession(t *testing.T) {
	f := newFixture(t)
	srv, d := presenceServer(t, f)
	watch := func() (Session, *websocket.Conn) { return watchSession(t, f, srv, d) }

	// Reports on time keep it alive (TestSilenceFakeClock); the card gone
	// ends it.
	s, conn := watch()
	for range 3 {
		report(t, conn, true, s.Card)
	}
	if _, err := f.a.Session(s.ID); err != nil {
		t.Fatalf("a watched session with its card ended: %v", err)
	}
	at := time.Now()
	report(t, conn, false, "")
	t.Logf("card removed → session ended in %v", waitDone(t, s, at))

	s, conn = watch()
	report(t, conn, true, strings.Repeat("0", 64))
	waitDone(t, s, time.Now())

	// A silent bridge: ended after heartbeat + grace on the gateway's clock.
	s, conn = watch()
	keepReporting(t, f, conn, s.Card, time.Second)
	f.clock.Advance(silenceLimit)
	waitDone(t, s, time.Now())

	// Logout closes the bridge's connection.
	s, conn = watch()
	report(t, conn, true, s.Card)
	f.a.Logout(s.ID)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := conn.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("after logout the bridge reads %v, want a normal close", err)
	}
	want := []EndReason{EndCardGone, EndCardGone, EndBridgeGone, EndLogout}
	if got := f.endReasons(); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		t.Errorf("end reasons %v, want %v", got, want)
	}
}
