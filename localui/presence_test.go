package localui_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

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
