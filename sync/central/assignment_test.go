package central

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// TestAssignmentItem: a reassignment (version 2's assignment item) is
// kept among the unit's confirmed items with its assignee, a repeat is a
// duplicate and the same key with another assignee a conflict, version 1
// refuses it, another unit's case is forbidden, and the patient's pages,
// read over TLS, show nothing new.
func TestAssignmentItem(t *testing.T) {
	e := newEnv(t)
	const doc1, doc2 = "SE2321000016-DOC1", "SE2321000016-DOC2"
	c1 := e.submit(unitA, "Fråga ett")
	start := e.clock.Now()
	as := wire.OutboxItem{IdempotencyKey: "k-as", CaseID: c1, Kind: wire.OutboxStatus, At: start, Status: wire.StatusAssigned}
	e.outbox2(unitA, wire.OutboxBatch2{Items: []wire.OutboxItem{as}, Staff: []wire.ItemStaff{{IdempotencyKey: "k-as", AssigneeHSAID: doc1}}})
	b := e.browser()
	b.login(adultPNR, adultName)
	pages := func() map[string]string {
		out := map[string]string{}
		for _, path := range []string{"/", "/arenden/" + c1} {
			pg := b.get(path)
			if pg.status != http.StatusOK {
				t.Fatalf("%s: %d", path, pg.status)
			}
			out[path] = pg.body
		}
		return out
	}
	before := pages()
	rec, err := e.store.PatientCase(t.Context(), adultPNR, c1)
	if err != nil {
		t.Fatal(err)
	}

	e.clock.Advance(time.Minute) // a change would show as a later update
	re := wire.OutboxItem{IdempotencyKey: "k-re", CaseID: c1, Kind: wire.OutboxAssignment, At: start.Add(1)}
	batch := wire.OutboxBatch2{Items: []wire.OutboxItem{re}, Staff: []wire.ItemStaff{{IdempotencyKey: "k-re", AssigneeHSAID: doc2}}}
	for i, want := range []wire.ItemStatus{wire.ItemAccepted, wire.ItemDuplicate} {
		if got := e.outbox2(unitA, batch).Results[0].Status; got != want {
			t.Errorf("assignment item, send %d: %s, want %s", i+1, got, want)
		}
	}
	other := batch
	other.Staff = []wire.ItemStaff{{IdempotencyKey: "k-re", AssigneeHSAID: doc1}}
	if r := e.outbox2(unitA, other).Results[0]; r.Status != wire.ItemRejected || r.Problem == nil || r.Problem.Status != http.StatusConflict {
		t.Errorf("the key of an assignment with another assignee: %+v, want a conflict", r)
	}
	if r := e.outbox2(unitB, wire.OutboxBatch2{Items: []wire.OutboxItem{{IdempotencyKey: "k-b", CaseID: c1, Kind: wire.OutboxAssignment, At: start}},
		Staff: []wire.ItemStaff{{IdempotencyKey: "k-b", AssigneeHSAID: doc2}}}).Results[0]; r.Status != wire.ItemRejected || r.Problem.Status != http.StatusForbidden {
		t.Errorf("an assignment for another unit's case: %+v", r)
	}
	v1 := `{"items":[` + string(mustEncodeItem(t, wire.OutboxItem{IdempotencyKey: "k-v1", CaseID: c1, Kind: wire.OutboxAssignment, At: start})) + `]}`
	if status, _, body := e.do(e.api, unitA, http.MethodPost, wire.PathOutbox, wire.ContentTypeJSON, []byte(v1)); status != http.StatusBadRequest {
		t.Errorf("version 1's outbox with an assignment item: %d %s", status, body)
	}

	p := e.confirmed(unitA, wire.ConfirmedQuery{Since: start})
	if len(p.Items) != 2 || p.Items[1].Item.Kind != wire.OutboxAssignment || p.Items[1].AssigneeHSAID != doc2 {
		t.Fatalf("confirmed items: %+v", p.Items)
	}
	// Nothing of it on the patient's pages: the same pages, the same case.
	after := pages()
	for path, body := range before {
		if after[path] != body {
			t.Errorf("%s changed after a reassignment:\nbefore %s\nafter  %s", path, body, after[path])
		}
		if strings.Contains(after[path], "SE2321000016") || strings.Contains(after[path], "DOC2") {
			t.Errorf("%s shows an HSA-ID", path)
		}
	}
	rec2, err := e.store.PatientCase(t.Context(), adultPNR, c1)
	if err != nil {
		t.Fatal(err)
	}
	if rec2.Status != rec.Status || !rec2.UpdatedAt.Equal(rec.UpdatedAt) || rec2.StaffMessages() != rec.StaffMessages() {
		t.Errorf("the case changed for the patient: before %+v, after %+v", rec, rec2)
	}
}
