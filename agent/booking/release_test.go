package booking

import (
	"context"
	"testing"
	"time"
)

// TestWatchReleases: a free online time leaves the published times when
// the type's "release to staff" hour comes, with nothing else changing
// in the diary: the watch says so at that instant (the fake clock's), so
// the gateway publishes again; a change of the diary meanwhile makes it
// look again for the next release.
func TestWatchReleases(t *testing.T) {
	now := stockholm(2026, 5, 4, 9, 0)
	f := newFixture(t, now)
	f.must(f.d.PutType(ctx, visit)) // released 48 hours before
	a := f.addSlot(now.Add(50*time.Hour), clinA, visit.ID, 30)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fired := make(chan struct{}, 8)
	changed := make(chan struct{}, 1)
	go f.d.WatchReleases(ctx, changed, func() { fired <- struct{}{} })
	if err := f.clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if d, ok := f.clock.Next(); !ok || d != 2*time.Hour {
		t.Fatalf("the watch waits %v (%v); want 2h, until the time's release", d, ok)
	}
	f.clock.Advance(2 * time.Hour)
	<-fired
	if bt, err := f.d.Published(ctx, now.Add(100*time.Hour), nil); err != nil || len(bt.Times) != 0 {
		t.Errorf("after the release the published times are %+v, %v; want none", bt.Times, err)
	}
	// A new time further on; the diary's change wakes the watch.
	f.addSlot(now.Add(60*time.Hour), clinA, visit.ID, 30)
	changed <- struct{}{}
	waitNext(t, f, 10*time.Hour)
	f.clock.Advance(10 * time.Hour)
	<-fired
	_ = a
}

// waitNext waits until the watch's timer is the one of d from now.
func waitNext(t *testing.T, f *fixture, d time.Duration) {
	t.Helper()
	for range 2000 {
		if got, ok := f.clock.Next(); ok && got == d {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the watch never waited %v", d)
}
