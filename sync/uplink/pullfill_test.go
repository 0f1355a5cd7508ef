package uplink

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"clinicgw/sync/clock"
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
		per := mostPerCommit() / prefetchPages
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

// The prefetch delivers each page with its events already linked into
// the chain (their journal entries and the head after them), so that the
// goroutine that applies the pages, the one that bounds a backlog's
// sync, does not hash every event's content (3.6 µs of CPU per 2 KiB
// case) between its commits.
func TestPrefetchLinksPages(t *testing.T) {
	c := startCentral(t)
	const n = 40 // the first page is firstLimit events, then the rest
	for i := range n {
		c.submit(i)
	}
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { cfg.Logger = nil })
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events, pages := 0, 0
	for f := range g.up.prefetch(ctx, 0) {
		if f.err != nil {
			t.Fatal(f.err)
		}
		pages++
		events += len(f.page.Events)
		next, journal, err := chainPage(f.page, nil)
		if err != nil {
			t.Fatal(err)
		}
		if f.chainErr != nil || len(f.journal) != len(journal) || f.next != next {
			t.Fatalf("page %d of %d events: %d journal entries, head %d, chain error %v; want them linked in the prefetch: %d entries, head %d",
				pages, len(f.page.Events), len(f.journal), f.next.Seq, f.chainErr, len(journal), next.Seq)
		}
		for i, e := range f.journal {
			if e.Seq != journal[i].Seq || e.Link != journal[i].Link || len(e.Event) == 0 || e.Wire != &f.page.Events[i] {
				t.Fatalf("page %d, event %d: journal entry %d, its link or its bytes differ", pages, i, e.Seq)
			}
		}
	}
	if events != n || pages < 2 {
		t.Errorf("%d events in %d pages, want %d in more than one", events, pages, n)
	}
}

// A page whose events do not chain is not merged with the pages before
// it: those go first, then it is the pull's error. A first page that does
// not chain waits for no other.
func TestNextPagesStopsAtChainError(t *testing.T) {
	ctx := context.Background()
	bad := errors.New("the events do not chain")
	c := make(chan fetched, 3)
	q := &pageQueue{c: c, clock: clock.System}
	c <- testPage(3, 3, true)
	g := testPage(2, 5, true)
	g.chainErr = bad
	c <- g
	c <- testPage(1, 6, true)
	p, later, ok, err := q.nextPages(ctx)
	if !ok || err != nil || later != nil || p.chainErr != nil || len(p.Events) != 3 {
		t.Fatalf("first: %d events, chain error %v, later %v, ok %v, err %v", len(p.Events), p.chainErr, later, ok, err)
	}
	p, _, ok, err = q.nextPages(ctx)
	if !ok || err != nil || !errors.Is(p.chainErr, bad) || len(p.Events) != 2 {
		t.Fatalf("second: %d events, chain error %v, ok %v, err %v", len(p.Events), p.chainErr, ok, err)
	}
}
