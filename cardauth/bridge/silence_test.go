package bridge

import (
	"net/http"
	"testing"
	"time"

	"clinicgw/cardauth"
	"clinicgw/sync/clock/clocktest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// watched logs the rig's card in and has the bridge watch the session.
func (r *rig) watched(t *testing.T) cardauth.Session {
	t.Helper()
	s, code, body := r.login(t, r.card.pin)
	if code != http.StatusOK {
		t.Fatalf("sign: %d %s", code, body)
	}
	ticket, _ := r.auth.PresenceTicket(s.ID)
	if code, body := r.call(t, "POST", PathWatch, r.gateway.URL, WatchRequest{Ticket: ticket}); code != http.StatusNoContent {
		t.Fatalf("watch: %d %s", code, body)
	}
	return s
}

// TestSilentBridgeEndsSession (AU3, as in production): the gateway on the
// system clock, a bridge that stops reporting but keeps its connection
// open (its clock never ticks: the workstation froze, or the network
// between them dropped without a word). The gateway ends the session
// after heartbeat + grace of real time, with EndBridgeGone; the reasons
// other than silence (card pulled, bridge closed) are TestBridgeLoginAndRemoval,
// TestBridgeGone and TestRealParts.
func TestSilentBridgeEndsSession(t *testing.T) {
	r := newRigWith(t, rigOptions{bridgeClock: clocktest.New(t0)})
	s := r.watched(t)
	at := time.Now()
	select {
	case <-s.Done:
		t.Logf("bridge silent → session ended after %v (heartbeat %v + grace %v)", time.Since(at), heartbeat, cardauth.PresenceGrace)
	case <-time.After(10 * time.Second):
		t.Fatal("the session outlived its silent bridge")
	}
	if why := <-r.ended; why != cardauth.EndBridgeGone {
		t.Errorf("ended for %q, want %q", why, cardauth.EndBridgeGone)
	}
}

// TestSlowBridgeKeepsConnection: a bridge whose goroutine is held up for
// longer than its heartbeat between setting a write's deadline and
// writing (a loaded workstation; here a heartbeat of 1 ns makes every
// deadline past by the write) still reports: its write deadline is a way
// out of a gateway that takes nothing, not the heartbeat, so a slow moment
// does not drop the connection and end the session as EndBridgeGone. The
// card pulled then ends it as EndCardGone. The gateway's clock stands
// still: silence ends nothing here.
func TestSlowBridgeKeepsConnection(t *testing.T) {
	r := newRigWith(t, rigOptions{gwClock: clocktest.New(t0), bridgeClock: clocktest.New(t0), bridgeHeartbeat: time.Nanosecond})
	s := r.watched(t)
	r.reader.set(false)
	select {
	case <-s.Done:
	case <-time.After(10 * time.Second):
		t.Fatal("pulling the card did not end the session")
	}
	if why := <-r.ended; why != cardauth.EndCardGone {
		t.Errorf("ended for %q, want %q: the bridge dropped its connection", why, cardauth.EndCardGone)
	}
}
