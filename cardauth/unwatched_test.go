package cardauth

import (
	"errors"
	"slices"
	"testing"
	"time"

	"clinicgw/cardauth/devpki"
)

// A session no bridge takes up lives at most the presence window: a
// second before it the session answers, at it the session ends
// (EndUnwatched) on the next request or sweep. A session whose bridge
// connected outlives the window; with a window of 0 (the gateway watches
// its own reader) nothing ends.
func TestUnwatchedSessionEnds(t *testing.T) {
	f := newFixture(t)
	f.a.ss.presence = DefaultPresenceWindow
	srv, d := presenceServer(t, f)
	card := f.cards[devpki.KeyECDSAP256]

	unwatched, err := f.login(t, card, "b1", false)
	if err != nil {
		t.Fatal(err)
	}
	swept, err := f.login(t, card, "b2", false)
	if err != nil {
		t.Fatal(err)
	}
	watched, err := f.login(t, card, "b3", false)
	if err != nil {
		t.Fatal(err)
	}
	ticket, err := f.a.PresenceTicket(watched.ID)
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := dialPresence(d, srv, ticket, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	report(t, conn, true, CardID(card.cert)) // the ticket was taken up before the upgrade answered

	keepReporting(t, f, conn, CardID(card.cert), DefaultPresenceWindow-time.Second)
	if _, err := f.a.Session(unwatched.ID); err != nil {
		t.Fatalf("unwatched session a second before the window: %v", err)
	}
	keepReporting(t, f, conn, CardID(card.cert), time.Second)
	if _, err := f.a.Session(unwatched.ID); !errors.Is(err, ErrSessionExpired) {
		t.Errorf("unwatched session at the window: %v, want ErrSessionExpired", err)
	}
	if n := f.a.Sweep(); n != 1 {
		t.Errorf("sweep at the window ended %d sessions, want 1 (the other unwatched one)", n)
	}
	select {
	case <-swept.Done:
	default:
		t.Error("the swept session's Done is still open")
	}
	if _, err := f.a.Session(watched.ID); err != nil {
		t.Errorf("watched session after the window: %v", err)
	}
	if got := f.endReasons(); !slices.Equal(got, []EndReason{EndUnwatched, EndUnwatched}) {
		t.Errorf("end reasons %q, want two %q", got, EndUnwatched)
	}

	// Window 0: no bridge needed.
	f.a.ss.presence = 0
	local, err := f.login(t, card, "b4", false)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(10 * time.Minute)
	if _, err := f.a.Session(local.ID); err != nil {
		t.Errorf("window 0: session after 10 min without a bridge: %v", err)
	}
}
