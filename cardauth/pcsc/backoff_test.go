package pcsc

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"clinicgw/sync/clock/clocktest"

	"github.com/ebfe/scard"
)

// TestNoServiceNoSpin: with pcscd absent the monitor reports ServiceDown
// once, with ErrNoService, and tries again only after growing waits
// capped at MaxBackoff: each attempt waits for the clock.
func TestNoServiceNoSpin(t *testing.T) {
	clock := clocktest.New(time.Unix(0, 0))
	var mu sync.Mutex
	attempts := 0
	m := New(Options{Clock: clock, MinBackoff: 250 * time.Millisecond, MaxBackoff: 2 * time.Second,
		establish: func() (conn, error) {
			mu.Lock()
			attempts++
			mu.Unlock()
			return nil, scard.ErrNoService
		}})
	var events []Event
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx, func(e Event) { events = append(events, e) }) }()
	var waits []time.Duration
	for i := range 7 {
		clock.BlockUntil(t.Context(), 1) // the monitor waits here: no busy loop
		d, _ := clock.Next()
		waits = append(waits, d)
		if i < 6 {
			clock.Advance(d)
		}
	}
	cancel()
	<-done
	if _, err := m.Readers(); !errors.Is(err, ErrNoService) {
		t.Errorf("Readers without pcscd: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if attempts != 8 { // 7 by Run, 1 by Readers
		t.Errorf("%d attempts for 6 waits", attempts)
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second}
	for i, w := range want {
		if waits[i] != w {
			t.Errorf("wait %d: %v, want %v", i, waits[i], w)
		}
	}
	if len(events) != 1 || events[0].Kind != ServiceDown || !errors.Is(events[0].Err, ErrNoService) {
		t.Errorf("events %+v, want one ServiceDown with ErrNoService", events)
	}
}
