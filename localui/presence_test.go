package localui_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"clinicgw/cardauth"
)

// TestUnwatchedSessionLocks: a login whose page never handed the presence
// ticket to a bridge (a script that signed with the card and skipped the
// bridge) would outlive the card. The gateway gives such a session
// cardauth.DefaultPresenceWindow: it works until then, and at the window
// its websocket closes (4001) and its pages go back to the login page.
// Sessions a bridge watches go on.
func TestUnwatchedSessionLocks(t *testing.T) {
	c := startClinic(t)
	sneaky, _ := c.loginUnwatched(hsaDist)
	watched := c.login(hsaClinA)
	conn, _, err := sneaky.ws(map[string]string{"t": "watch", "list": "inbox"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c.clock.Advance(cardauth.DefaultPresenceWindow - time.Second)
	c.gw.Login().Sweep()
	if r := sneaky.get("/inbox"); r.StatusCode != http.StatusOK {
		t.Fatalf("unwatched session a second before the window: %d", r.StatusCode)
	}
	c.clock.Advance(time.Second)
	c.gw.Login().Sweep()
	if _, code := next(t, conn, 5*time.Second); code != 4001 {
		t.Fatalf("close code %d at the presence window, want 4001", code)
	}
	if r := sneaky.get("/inbox"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("unwatched session's page after the window: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if r := watched.get("/mine"); r.StatusCode != http.StatusOK {
		t.Fatalf("watched session after the window: %d", r.StatusCode)
	}
}

// TestSilentBridgeByGatewayClock: the gateway judges a bridge's silence
// by its own clock, as every other session limit. A bridge that reports
// once and then says nothing for twice its limit in real time (a loaded
// machine) while the gateway's clock stands still leaves the session
// working; once the gateway's clock has moved past the limit, the silence
// ends the session and its websocket closes (4001).
func TestSilentBridgeByGatewayClock(t *testing.T) {
	c := startClinic(t)
	clin, ticket := c.loginUnwatched(hsaDist)
	bridge, report := c.presence(hsaDist, ticket)
	if err := bridge.WriteMessage(websocket.TextMessage, report); err != nil {
		t.Fatal(err)
	}
	conn, _, err := clin.ws(map[string]string{"t": "watch", "list": "inbox"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	limit := cardauth.DefaultHeartbeat + cardauth.PresenceGrace
	<-time.After(2 * limit) // real time passes; nothing happens (no synchronisation)
	if r := clin.get("/inbox"); r.StatusCode != http.StatusOK {
		t.Fatalf("after %v of real silence, none on the gateway's clock: %d %s", 2*limit, r.StatusCode, r.Header.Get("Location"))
	}
	c.clock.Advance(limit)
	if _, code := next(t, conn, 10*time.Second); code != 4001 {
		t.Fatalf("close code %d after the bridge's silence passed the limit on the gateway's clock, want 4001", code)
	}
	if !strings.Contains(c.logs.String(), string(cardauth.EndBridgeGone)) {
		t.Error("the gateway's log does not say the bridge was lost")
	}
}
