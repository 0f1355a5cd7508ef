package pcsc

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ebfe/scard"
)

// stepClock hands out After channels the test fires one by one, and
// records the waits asked for.
type stepClock struct {
	mu    sync.Mutex
	waits []time.Duration
	next  chan chan time.Time
}

func (c *stepClock) Now() time.Time { return time.Unix(0, 0) }
func (c *stepClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.next <- ch
	return ch
}

// TestNoServiceNoSpin: with pcscd absent the monitor reports ServiceDown
// once, with ErrNoService, and tries again only after growing waits
// capped at MaxBackoff: each attempt waits for the clock.
func TestNoServiceNoSpin(t *testing.T) {
	clock := &stepClock{next: make(chan chan time.Time)}
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
	for range 6 {
		tick := <-clock.next // the monitor waits here: no busy loop
		tick <- time.Time{}
	}
	<-clock.next
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
		if clock.waits[i] != w {
			t.Errorf("wait %d: %v, want %v", i, clock.waits[i], w)
		}
	}
	if len(events) != 1 || events[0].Kind != ServiceDown || !errors.Is(events[0].Err, ErrNoService) {
		t.Errorf("events %+v, want one ServiceDown with ErrNoService", events)
	}
}
