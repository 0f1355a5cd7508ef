package clocktest

import (
	"context"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func received(c <-chan time.Time) (time.Time, bool) {
	select {
	case v := <-c:
		return v, true
	default:
		return time.Time{}, false
	}
}

func TestTimer(t *testing.T) {
	f := New(t0)
	tm := f.NewTimer(time.Minute)
	f.Advance(59 * time.Second)
	if _, ok := received(tm.C()); ok {
		t.Fatal("fired before its time")
	}
	f.Advance(time.Second)
	if v, ok := received(tm.C()); !ok || !v.Equal(t0.Add(time.Minute)) {
		t.Fatalf("at its time: %v %v", v, ok)
	}
	if tm.Stop() || f.Waiting() != 0 {
		t.Fatal("a fired timer still runs")
	}
	// Reset after firing, then Stop before it: nothing stale is received.
	tm.Reset(time.Second)
	f.Advance(time.Second)
	tm.Reset(time.Hour)
	if _, ok := received(tm.C()); ok {
		t.Fatal("a stale value after Reset")
	}
	if !tm.Stop() {
		t.Fatal("Stop of a running timer said it was not running")
	}
	f.Advance(2 * time.Hour)
	if _, ok := received(tm.C()); ok {
		t.Fatal("a stopped timer fired")
	}
	if z := f.NewTimer(0); func() bool { _, ok := received(z.C()); return !ok }() {
		t.Fatal("a zero timer did not fire at once")
	}
}

func TestTicker(t *testing.T) {
	f := New(t0)
	tk := f.NewTicker(10 * time.Second)
	f.Advance(35 * time.Second) // three ticks due, one kept: a slow reader's
	if v, ok := received(tk.C()); !ok || !v.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("first tick: %v %v", v, ok)
	}
	if _, ok := received(tk.C()); ok {
		t.Fatal("missed ticks were queued")
	}
	f.Advance(5 * time.Second) // the next at 40 s
	if v, ok := received(tk.C()); !ok || !v.Equal(t0.Add(40*time.Second)) {
		t.Fatalf("next tick: %v %v", v, ok)
	}
	tk.Reset(time.Minute)
	f.Advance(59 * time.Second)
	if _, ok := received(tk.C()); ok {
		t.Fatal("ticked before the reset period")
	}
	tk.Stop()
	f.Advance(time.Hour)
	if _, ok := received(tk.C()); ok || f.Waiting() != 0 {
		t.Fatal("a stopped ticker ticked")
	}
}

// TestBlockUntil: a goroutine's timer is waited for, then fired, with no
// sleep.
func TestBlockUntil(t *testing.T) {
	f := New(t0)
	done := make(chan time.Time)
	go func() {
		tm := f.NewTimer(time.Hour)
		done <- <-tm.C()
	}()
	f.BlockUntil(t.Context(), 1)
	if d, ok := f.Next(); !ok || d != time.Hour {
		t.Fatalf("Next: %v %v, want 1h", d, ok)
	}
	f.Advance(time.Hour)
	if v := <-done; !v.Equal(t0.Add(time.Hour)) {
		t.Fatalf("fired at %v", v)
	}
}

func TestBlockUntilNext(t *testing.T) {
	f := New(t0)
	tm := f.NewTimer(time.Minute)
	f.Advance(10 * time.Second)
	rearmed := make(chan error, 1)
	go func() { rearmed <- f.BlockUntilNext(t.Context(), time.Minute) }()
	select {
	case err := <-rearmed:
		t.Fatalf("returned (%v) while the timer fires in 50 s", err)
	default:
	}
	tm.Reset(time.Minute)
	if err := <-rearmed; err != nil {
		t.Fatal(err)
	}
	other := f.NewTimer(time.Second) // an earlier wait: the minute is not the next
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := f.BlockUntilNext(ctx, time.Minute); err == nil {
		t.Error("returned while another timer fires first")
	}
	other.Stop()
}
