package central

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
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

// outbox2 posts a version 2 batch for unit.
func (e *env) outbox2(unit string, batch wire.OutboxBatch2) wire.OutboxResult {
	e.t.Helper()
	b, err := wire.Marshal(batch)
	if err != nil {
		e.t.Fatal(err)
	}
	status, _, body := e.do(e.api, unit, http.MethodPost, wire.PathOutbox2, wire.ContentTypeJSON, b)
	if status != http.StatusOK {
		e.t.Fatalf("outbox v2: %d %s", status, body)
	}
	res, err := wire.DecodeOutboxResult(bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := res.Matches(batch.Batch()); err != nil {
		e.t.Fatal(err)
	}
	return res
}

// TestConfirmedStaff: whom on the unit's staff a version 2 item names
// (author, assignee) comes back with the unit's confirmed items and never
// on the patient's pages; version 1's outbox refuses them and its items
// come back without.
func TestConfirmedStaff(t *testing.T) {
	e := newEnv(t)
	const author, assignee = "SE2321000016-DOC1", "SE2321000016-DOC2"
	c1, c2 := e.submit(unitA, "Fråga ett"), e.submit(unitA, "Fråga två")
	start := e.clock.Now()
	as := wire.OutboxItem{IdempotencyKey: "k-as", CaseID: c1, Kind: wire.OutboxStatus, At: start, Status: wire.StatusAssigned}
	e.outbox2(unitA, wire.OutboxBatch2{Items: []wire.OutboxItem{as}, Staff: []wire.ItemStaff{{IdempotencyKey: "k-as", AssigneeHSAID: assignee}}})
	a1 := answer("k1", c1, "Svar ett")
	e.outbox2(unitA, wire.OutboxBatch2{Items: []wire.OutboxItem{a1, answer("k2", c2, "Svar två")},
		Staff: []wire.ItemStaff{{IdempotencyKey: "k1", AuthorHSAID: author, AssigneeHSAID: assignee}}})
	e.outbox(unitA, answer("k3", c2, "Svar tre"))

	p := e.confirmed(unitA, wire.ConfirmedQuery{Since: start})
	want := [][2]string{{"", assignee}, {author, assignee}, {"", ""}, {"", ""}}
	if len(p.Items) != len(want) {
		t.Fatalf("confirmed items: %+v", p)
	}
	for i, w := range want {
		if got := [2]string{p.Items[i].AuthorHSAID, p.Items[i].AssigneeHSAID}; got != w {
			t.Errorf("item %s names %v, want %v", p.Items[i].Item.IdempotencyKey, got, w)
		}
	}
	if p.Items[1].Item.Digest() != a1.Digest() {
		t.Errorf("the item did not come back as sent: %+v", p.Items[1].Item)
	}
	// Version 1's outbox has no staff member.
	v1 := `{"items":[` + string(mustEncodeItem(t, answer("k4", c2, "Svar fyra"))) + `],"staff":[{"idempotencyKey":"k4","authorHsaId":"` + author + `"}]}`
	if status, _, body := e.do(e.api, unitA, http.MethodPost, wire.PathOutbox, wire.ContentTypeJSON, []byte(v1)); status != http.StatusBadRequest {
		t.Errorf("version 1's outbox with staff: %d %s", status, body)
	}
	// The patient's pages never show them.
	b := e.browser()
	b.login(adultPNR, adultName)
	for _, path := range []string{"/", "/arenden/" + c1, "/arenden/" + c2} {
		pg := b.get(path)
		if pg.status != http.StatusOK {
			t.Fatalf("%s: %d", path, pg.status)
		}
		if strings.Contains(pg.body, "SE2321000016") || strings.Contains(pg.body, "DOC1") || strings.Contains(pg.body, "DOC2") {
			t.Errorf("%s shows an HSA-ID", path)
		}
	}
	if !strings.Contains(b.get("/arenden/"+c1).body, "Svar ett") {
		t.Error("the answer is not on the patient's page: the check above proves nothing")
	}
}

func mustEncodeItem(t *testing.T, it wire.OutboxItem) []byte {
	t.Helper()
	raw, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
