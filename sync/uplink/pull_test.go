package uplink

import (
	"context"
	"errors"
	"testing"

	"clinicgw/sync/clock"
	"clinicgw/sync/wire"
)

// testPage makes a fetched page of n events ending at cursor.
func testPage(n int, cursor uint64, more bool) fetched {
	evs := make([]wire.Event, n)
	for i := range evs {
		evs[i].Seq = cursor - uint64(n-1-i)
	}
	return fetched{page: wire.ChainedPage{Events: evs, Cursor: cursor, More: more}}
}

// nextPages takes what is already fetched, up to a commit's bound, keeps
// a page that would go over for the next call, and reports a failed fetch
// after the pages before it.
func TestNextPagesMerges(t *testing.T) {
	ctx := context.Background()
	c := make(chan fetched, 10)
	q := &pageQueue{c: c, clock: clock.System}
	per := mostPerCommit() / 2
	c <- testPage(per, uint64(per), true)
	c <- testPage(per, uint64(2*per), true)
	c <- testPage(1, uint64(2*per+1), true) // would go over
	c <- testPage(0, uint64(2*per+1), true) // no events
	boom := errors.New("boom")
	c <- fetched{err: boom}

	p, later, ok, err := q.nextPages(ctx)
	if !ok || err != nil || later != nil || len(p.Events) != 2*per || p.Cursor != uint64(2*per) || !p.More {
		t.Fatalf("first: %d events, cursor %d, more %v, later %v, ok %v, err %v", len(p.Events), p.Cursor, p.More, later, ok, err)
	}
	for i, ev := range p.Events {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d: out of order", i, ev.Seq)
		}
	}
	p, later, ok, err = q.nextPages(ctx)
	if !ok || err != nil || !errors.Is(later, boom) || len(p.Events) != 1 || p.Cursor != uint64(2*per+1) {
		t.Fatalf("second: %d events, cursor %d, later %v, ok %v, err %v", len(p.Events), p.Cursor, later, ok, err)
	}

	// A page that says there is no more ends the merge, and the pages.
	c <- testPage(2, 12, false)
	c <- testPage(3, 15, false) // never asked for: not taken
	p, later, ok, err = q.nextPages(ctx)
	if !ok || err != nil || later != nil || len(p.Events) != 2 || p.More {
		t.Fatalf("last: %d events, more %v, later %v, ok %v, err %v", len(p.Events), p.More, later, ok, err)
	}

	// Nothing more fetched: the channel closed.
	<-c
	close(c)
	if _, _, ok, err := q.nextPages(ctx); ok || err != nil {
		t.Fatalf("after the last page: ok %v, err %v", ok, err)
	}

	// A first page that failed is the error.
	c2 := make(chan fetched, 1)
	c2 <- fetched{err: boom}
	if _, _, ok, err := (&pageQueue{c: c2}).nextPages(ctx); ok || !errors.Is(err, boom) {
		t.Fatalf("failed first fetch: ok %v, err %v", ok, err)
	}
}
