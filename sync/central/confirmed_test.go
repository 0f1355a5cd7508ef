package central

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// confirmed fetches a page of unit's confirmed items.
func (e *env) confirmed(unit string, q wire.ConfirmedQuery) wire.ConfirmedPage {
	e.t.Helper()
	status, _, body := e.do(e.api, unit, http.MethodGet, wire.PathConfirmed2+"?"+q.Encode(), "", nil)
	if status != http.StatusOK {
		e.t.Fatalf("confirmed: %d %s", status, body)
	}
	page, err := wire.DecodeConfirmedPage(bytes.NewReader(body))
	if err != nil {
		e.t.Fatalf("confirmed page: %v", err)
	}
	if err := page.Follows(q); err != nil {
		e.t.Fatalf("confirmed page does not follow the query: %v", err)
	}
	return page
}

// TestConfirmedItems: the items a unit sent that this store accepted come
// back as sent, in order, paged, only the unit's own, not duplicates; they
// are kept for the retention and a page says when older ones were dropped.
func TestConfirmedItems(t *testing.T) {
	e := newEnv(t)
	c1, c2 := e.submit(unitA, "Fråga ett"), e.submit(unitA, "Fråga två")
	cb := e.submit(unitB, "Fråga B")
	start := e.clock.Now()
	a1, a2 := answer("k1", c1, "Svar ett"), answer("k2", c2, "Svar två")
	e.outbox(unitA, a1, a2)
	e.outbox(unitA, a1)                         // a duplicate: kept once
	e.outbox(unitA, answer("k3", cb, "Annans")) // rejected: not the unit's case
	e.outbox(unitB, answer("kb", cb, "Svar B"))
	e.clock.Advance(time.Hour)
	st := wire.OutboxItem{IdempotencyKey: "k4", CaseID: c1, Kind: wire.OutboxStatus, At: e.clock.Now(), Status: wire.StatusClosed}
	e.outbox(unitA, st)

	p := e.confirmed(unitA, wire.ConfirmedQuery{Since: start, Limit: 2})
	if len(p.Items) != 2 || !p.Complete || p.Items[0].Item.IdempotencyKey != "k1" || p.Items[1].Item.IdempotencyKey != "k2" {
		t.Fatalf("first page: %+v", p)
	}
	if p.Items[0].Item.Digest() != a1.Digest() {
		t.Errorf("the item did not come back as sent: %+v", p.Items[0].Item)
	}
	p2 := e.confirmed(unitA, wire.ConfirmedQuery{Since: start, After: p.Items[1].Seq, Limit: 2})
	if len(p2.Items) != 1 || p2.Items[0].Item.IdempotencyKey != "k4" {
		t.Fatalf("second page: %+v", p2)
	}
	if got := e.confirmed(unitA, wire.ConfirmedQuery{Since: start.Add(30 * time.Minute)}); len(got.Items) != 1 || got.Items[0].Item.IdempotencyKey != "k4" {
		t.Errorf("since an hour later: %+v", got)
	}
	if got := e.confirmed(unitB, wire.ConfirmedQuery{Since: start}); len(got.Items) != 1 || got.Items[0].Item.IdempotencyKey != "kb" {
		t.Errorf("unit B sees %+v", got)
	}

	// Past the retention, the next accepted item drops the old ones; a
	// query from before them says it is not complete.
	e.clock.Advance(DefaultRetention - 30*time.Minute)
	e.outbox(unitA, answer("k5", c2, "Sent svar"))
	got := e.confirmed(unitA, wire.ConfirmedQuery{Since: start})
	if got.Complete || len(got.Items) != 2 || got.Items[0].Item.IdempotencyKey != "k4" {
		t.Errorf("after the retention, since the start: %+v", got)
	}
	if got := e.confirmed(unitA, wire.ConfirmedQuery{Since: start.Add(30 * time.Minute)}); !got.Complete || len(got.Items) != 2 {
		t.Errorf("after the retention, since after the dropped ones: %+v", got)
	}
	for _, bad := range []string{"", "since=yesterday", "since=2026-03-02T09:00:00Z&limit=101", "since=2026-03-02T09:00:00Z&x=1"} {
		if status, _, _ := e.do(e.api, unitA, http.MethodGet, wire.PathConfirmed2+"?"+bad, "", nil); status != http.StatusBadRequest {
			t.Errorf("query %q: %d, want 400", bad, status)
		}
	}
}
