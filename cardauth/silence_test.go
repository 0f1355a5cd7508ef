package cardauth

import (
	"context"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"clinicgw/sync/clock/clocktest"
)

// silenceLimit is how long the presence handler of presenceServer waits
// for a report before it ends the session.
const silenceLimit = testHeartbeat + PresenceGrace

// keepReporting moves f's clock on by d in steps shorter than the silence
// limit, the bridge on conn reporting card after each, as a bridge does on
// time: each report re-arms the gateway's silence limit before the clock
// moves again.
func keepReporting(t *testing.T, f *fixture, conn *websocket.Conn, card string, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for d > 0 {
		step := min(d, silenceLimit/2)
		f.clock.Advance(step)
		d -= step
		report(t, conn, true, card)
		if err := f.clock.BlockUntilNext(ctx, silenceLimit); err != nil {
			t.Fatalf("the report did not re-arm the silence limit: %v", err)
		}
	}
}

// silentBridge logs a card in on f and connects a bridge that stays
// silent with its connection open: its silence starts at the connection.
func silentBridge(t *testing.T, f *fixture) Session {
	t.Helper()
	srv, d := presenceServer(t, f)
	s, _ := watchSession(t, f, srv, d)
	return s
}

// TestSilenceByInjectedClock: the bridge's silence is measured by the
// gateway's clock, like every other session limit. A gateway whose clock
// reads a fake time that does not move while its timers run in real time
// (clocktest.RealTimers, as the localui tests run it) keeps a watched
// session through real seconds of silence, well past the limit in real
// time; once its clock has moved past the limit, the silence ends the
// session (EndBridgeGone).
//
// Before the fix the handler used a wall-clock read deadline: a loaded
// machine whose bridge (or test) was slow to report for 1.2 s logged the
// member of staff out ("Du är utloggad").
func TestSilenceByInjectedClock(t *testing.T) {
	f := newFixture(t)
	f.a.clock = clocktest.RealTimers(f.clock)
	f.a.ss.clock = f.a.clock
	s := silentBridge(t, f)

	// Real time passes, well beyond the limit and the old wall-clock read
	// deadline; the gateway's clock does not move. (This bounded wait
	// observes that nothing happens; it synchronises nothing.)
	select {
	case <-s.Done:
		t.Fatalf("the session ended (%v) while the gateway's clock stood still", f.endReasons())
	case <-time.After(3 * silenceLimit):
	}
	if _, err := f.a.Session(s.ID); err != nil {
		t.Fatalf("a silent second in real time, none on the gateway's clock: %v", err)
	}

	// The gateway's clock moves past the limit: the next check ends it.
	f.clock.Advance(silenceLimit)
	select {
	case <-s.Done:
	case <-time.After(10 * time.Second):
		t.Fatal("the silence outlasted the limit on the gateway's clock and the session lives on")
	}
	if got := f.waitEnd(t); got != EndBridgeGone {
		t.Errorf("ended for %q, want %q", got, EndBridgeGone)
	}
}

// TestSilenceFakeClock: with a fake clock whose timers move only with it,
// a report re-arms the silence limit; a second less than the limit after
// the last report the session lives, at the limit it ends.
func TestSilenceFakeClock(t *testing.T) {
	f := newFixture(t)
	srv, d := presenceServer(t, f)
	s, conn := watchSession(t, f, srv, d)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.clock.BlockUntilNext(ctx, silenceLimit); err != nil {
		t.Fatalf("the presence handler never waited on the gateway's clock: %v", err)
	}
	for range 3 { // the bridge's pace, on the gateway's clock
		f.clock.Advance(silenceLimit - time.Millisecond)
		if _, err := f.a.Session(s.ID); err != nil {
			t.Fatalf("a report less than the limit ago: %v", err)
		}
		report(t, conn, true, s.Card)
		if err := f.clock.BlockUntilNext(ctx, silenceLimit); err != nil {
			t.Fatalf("the report did not re-arm the silence limit: %v", err)
		}
	}
	f.clock.Advance(silenceLimit - time.Nanosecond)
	select {
	case <-s.Done:
		t.Fatal("ended before the limit")
	default:
	}
	f.clock.Advance(time.Nanosecond)
	select {
	case <-s.Done:
	case <-ctx.Done():
		t.Fatal("the bridge silent for the limit and the session lives on")
	}
	if got := f.waitEnd(t); got != EndBridgeGone {
		t.Errorf("ended for %q, want %q", got, EndBridgeGone)
	}
}
