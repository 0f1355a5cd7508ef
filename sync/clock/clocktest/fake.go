package clocktest

import (
	"context"
	"slices"
	"sync"
	"time"

	"clinicgw/sync/clock"
)

// Fake is a clock.Clock that moves only when told to. It is safe for
// concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiting map[*waiter]struct{}
	changed chan struct{} // closed and replaced when waiting changes
}

var _ clock.Clock = (*Fake)(nil)

// New returns a fake clock at t.
func New(t time.Time) *Fake {
	return &Fake{now: t, waiting: map[*waiter]struct{}{}, changed: make(chan struct{})}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the time on by d and fires what falls due, in order.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setLocked(f.now.Add(d))
}

// Set moves the time to t (backwards too) and fires what falls due.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setLocked(t)
}

// Waiting is the number of running timers and tickers.
func (f *Fake) Waiting() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiting)
}

// Next is how long from now until the earliest running timer or ticker
// fires; false when none runs.
func (f *Fake) Next() (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var first time.Time
	for w := range f.waiting {
		if first.IsZero() || w.at.Before(first) {
			first = w.at
		}
	}
	return first.Sub(f.now), !first.IsZero()
}

// BlockUntil waits until at least n timers and tickers run (the code under
// test has reached its wait, and Advance will reach it), or ctx ends.
func (f *Fake) BlockUntil(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		if len(f.waiting) >= n {
			f.mu.Unlock()
			return nil
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// BlockUntilNext waits until the earliest running timer or ticker fires
// exactly d from now (the code under test has started or re-armed its
// wait of d since the clock last moved), or ctx ends.
func (f *Fake) BlockUntilNext(ctx context.Context, d time.Duration) error {
	for {
		f.mu.Lock()
		found := false
		for w := range f.waiting {
			found = found || w.at.Sub(f.now) == d
		}
		first := true
		for w := range f.waiting {
			first = first && w.at.Sub(f.now) >= d
		}
		ch := f.changed
		f.mu.Unlock()
		if found && first {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// NewTimer returns a timer that fires when the fake time reaches now+d.
func (f *Fake) NewTimer(d time.Duration) clock.Timer {
	w := &waiter{f: f, c: make(chan time.Time, 1)}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.startLocked(w, d)
	return w
}

// NewTicker returns a ticker that fires every d of fake time; like a real
// ticker it drops the ticks a slow reader misses.
func (f *Fake) NewTicker(d time.Duration) clock.Ticker {
	if d <= 0 {
		panic("clocktest: non-positive interval for NewTicker")
	}
	w := &waiter{f: f, c: make(chan time.Time, 1), period: d}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.startLocked(w, d)
	return ticker{w}
}

func (f *Fake) setLocked(t time.Time) {
	f.now = t
	var due []*waiter
	for w := range f.waiting {
		if !w.at.After(t) {
			due = append(due, w)
		}
	}
	slices.SortFunc(due, func(a, b *waiter) int { return a.at.Compare(b.at) })
	for _, w := range due {
		select {
		case w.c <- w.at:
		default: // a ticker's reader is behind: the tick is dropped
		}
		if w.period == 0 {
			delete(f.waiting, w)
			continue
		}
		for !w.at.After(t) {
			w.at = w.at.Add(w.period)
		}
	}
	if len(due) > 0 {
		f.notifyLocked()
	}
}

func (f *Fake) startLocked(w *waiter, d time.Duration) {
	w.at = f.now.Add(d)
	f.waiting[w] = struct{}{}
	f.notifyLocked()
	f.setLocked(f.now) // d <= 0 fires at once
}

func (f *Fake) stopLocked(w *waiter) bool {
	_, running := f.waiting[w]
	delete(f.waiting, w)
	select { // as Go 1.23's timers: nothing stale after Stop or Reset
	case <-w.c:
	default:
	}
	if running {
		f.notifyLocked()
	}
	return running
}

func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// waiter is a fake timer (period 0) or ticker.
type waiter struct {
	f      *Fake
	c      chan time.Time
	at     time.Time
	period time.Duration
}

func (w *waiter) C() <-chan time.Time { return w.c }

func (w *waiter) Stop() bool {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	return w.f.stopLocked(w)
}

// Reset restarts a timer to fire d from now, or a ticker to tick every d.
func (w *waiter) Reset(d time.Duration) bool {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	running := w.f.stopLocked(w)
	if w.period != 0 {
		if d <= 0 {
			panic("clocktest: non-positive interval for Ticker.Reset")
		}
		w.period = d
	}
	w.f.startLocked(w, d)
	return running
}

// ticker is a waiter seen as a clock.Ticker.
type ticker struct{ w *waiter }

func (t ticker) C() <-chan time.Time   { return t.w.c }
func (t ticker) Stop()                 { t.w.Stop() }
func (t ticker) Reset(d time.Duration) { t.w.Reset(d) }

var (
	_ clock.Timer  = (*waiter)(nil)
	_ clock.Ticker = ticker{}
)

// RealTimers is now's time with the system clock's timers and tickers,
// for a test whose code waits on real events in real time (a burst of
// file events settling) while the time it reads is the test's.
func RealTimers(now interface{ Now() time.Time }) clock.Clock { return realTimers{now} }

type realTimers struct{ now interface{ Now() time.Time } }

func (r realTimers) Now() time.Time                       { return r.now.Now() }
func (realTimers) NewTimer(d time.Duration) clock.Timer   { return clock.System.NewTimer(d) }
func (realTimers) NewTicker(d time.Duration) clock.Ticker { return clock.System.NewTicker(d) }
