package uplink

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"clinicgw/sync/clock/clocktest"
)

// On a backlog whose pages come slower than the store takes them, a
// commit still takes a whole commit's pages: nextPages waits for the
// pages after the first (the central store has more) instead of
// committing the one page fetched so far; each commit costs two
// fdatasyncs and rewrites the pages of every index it touches. It waits
// no longer than fillWait: then what is here goes.
func TestNextPagesWaitsToFillCommit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		c := make(chan fetched, prefetchPages)
		fake := clocktest.New(time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC))
		q := &pageQueue{c: c, clock: fake}
		per := mergeEvents / prefetchPages
		type result struct {
			p  pulled
			ok bool
		}
		got := make(chan result, 1)
		next := func() {
			go func() {
				p, _, ok, _ := q.nextPages(ctx)
				got <- result{p, ok}
			}()
		}

		// The pages arrive one at a time, each after the store asked.
		c <- testPage(per, uint64(per), true)
		next()
		for k := 2; k <= prefetchPages; k++ {
			synctest.Wait() // nextPages is waiting for the channel, or has returned
			select {
			case r := <-got:
				t.Fatalf("committed %d events (%d of %d pages) while the backlog's next page was on its way",
					len(r.p.Events), k-1, prefetchPages)
			default:
			}
			c <- testPage(per, uint64(k*per), true)
		}
		r := <-got
		if !r.ok || len(r.p.Events) != prefetchPages*per || r.p.Cursor != uint64(prefetchPages*per) {
			t.Fatalf("commit of %d events to cursor %d (ok %v), want %d events", len(r.p.Events), r.p.Cursor, r.ok, prefetchPages*per)
		}

		// A page that does not come within fillWait: what is here goes.
		c <- testPage(1, uint64(prefetchPages*per+1), true)
		next()
		synctest.Wait()
		fake.Advance(fillWait)
		r = <-got
		if !r.ok || len(r.p.Events) != 1 {
			t.Fatalf("after fillWait: %d events (ok %v), want the one page here", len(r.p.Events), r.ok)
		}

		// The last page of a backlog (no more) goes at once.
		c <- testPage(2, uint64(prefetchPages*per+3), false)
		next()
		if r = <-got; !r.ok || len(r.p.Events) != 2 || r.p.More {
			t.Fatalf("last page: %d events, more %v", len(r.p.Events), r.p.More)
		}
	})
}
