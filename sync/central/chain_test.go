package central

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"clinicgw/sync/wire"
)

// inboxV2 fetches a chained page of unit's inbox: canonical, following the
// query, its links verified.
func (e *env) inboxV2(unit string, after uint64, limit int) wire.ChainedPage {
	e.t.Helper()
	q := wire.InboxQuery{After: after, Limit: limit}
	status, _, body := e.do(e.api, unit, http.MethodGet, wire.PathInbox2+"?"+q.Encode(), "", nil)
	if status != http.StatusOK {
		e.t.Fatalf("inbox v2: %d %s", status, body)
	}
	page, err := wire.DecodeChainedPage(bytes.NewReader(body))
	if err != nil {
		e.t.Fatalf("chained page: %v", err)
	}
	if err := page.Follows(q); err != nil {
		e.t.Fatalf("chained page does not follow the query: %v", err)
	}
	if err := page.Verify(); err != nil {
		e.t.Fatalf("chained page does not verify: %v", err)
	}
	if canon, err := wire.Marshal(page); err != nil || !bytes.Equal(body, canon) {
		e.t.Fatalf("chained page is not in canonical encoding (%v):\n got %s\nwant %s", err, body, canon)
	}
	return page
}

// The chain: v1 and v2 serve the same events; every page links to the
// previous one; the links survive a reopen; a page asked from beyond the
// head has no base; a store restored from an older copy of its file
// answers at the gateway's cursor with no link (behind) or, once new
// cases came, with another link (diverged); a new store has another
// incarnation and genesis.
func TestChain(t *testing.T) {
	e := newEnv(t)
	for range 3 {
		e.submit(unitA, "Ett ärende.")
	}
	p1 := e.inboxV2(unitA, 0, 2)
	if p1.Chain.Base != wire.Genesis(e.store.Incarnation()).String() || p1.Chain.Head != 3 || len(p1.Events) != 2 {
		t.Fatalf("first page: %+v", p1.Chain)
	}
	if v1 := e.inbox(unitA, 0, 2); len(v1.Events) != 2 || v1.Events[1].ID != p1.Events[1].ID {
		t.Errorf("v1 serves other events than v2")
	}
	p2 := e.inboxV2(unitA, 2, 10)
	if p2.Chain.Base != p1.Chain.End {
		t.Errorf("the second page's base is not the first's end")
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := e.store.Backup(e.ctx, backup); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		e.submit(unitA, "Efter kopian.")
	}
	e.reopen()
	at5 := e.inboxV2(unitA, 5, 10)
	if at5.Behind() || at5.Chain.Head != 5 {
		t.Fatalf("after a reopen: %+v", at5.Chain)
	}

	// Restore the copy: the head is 3, the gateway's cursor 5.
	e.close()
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	e.open()
	if p := e.inboxV2(unitA, 5, 10); !p.Behind() || p.Chain.Head != 3 || len(p.Events) != 0 {
		t.Errorf("restored store asked from 5: %+v, want behind at head 3", p.Chain)
	}
	if p := e.inboxV2(unitA, 3, 10); p.Chain.Base != p2.Chain.End {
		t.Errorf("the restored store's link at 3 changed")
	}
	for range 3 {
		e.submit(unitA, "Nytt efter återställningen.")
	}
	if p := e.inboxV2(unitA, 5, 10); p.Behind() || p.Chain.Base == at5.Chain.Base {
		t.Errorf("restored store with new events asked from 5: %+v, want another link than %s", p.Chain, at5.Chain.Base)
	}

	// Another store altogether: another incarnation, another genesis.
	inc := e.store.Incarnation()
	e.close()
	os.Remove(e.path)
	e.open()
	if e.store.Incarnation() == inc || len(inc) != wire.IncarnationLen {
		t.Errorf("incarnations %q and %q", inc, e.store.Incarnation())
	}
}

// Reconcile: events given back are applied once, appended to the stream
// again under their ids, and answered as duplicates the second time; a
// follow-up for an unknown case is rejected; a case id with another
// submission is a conflict.
func TestReconcile(t *testing.T) {
	e := newEnv(t)
	id := e.submit(unitA, "Ett ärende.")
	page := e.inboxV2(unitA, 0, 10)
	lost := page.Events[0]
	lost.CaseID = "01kjprzb00vfjrgbh5f5m38cp9"
	lost.ID = "lost-1"
	follow := wire.Event{Seq: 2, ID: "lost-2", Kind: wire.EventCaseFollowUp, CaseID: lost.CaseID, At: lost.At,
		Message: &wire.PatientMessage{ID: "msg-lost", Text: "Jag glömde en sak."}}
	orphan := wire.Event{Seq: 3, ID: "lost-3", Kind: wire.EventCaseWithdrawn, CaseID: "01kjprzb00vfjrgbh5f5m38cq0", At: lost.At}
	other := page.Events[0]
	other.Seq, other.ID = 4, "lost-4"
	other.Case = &wire.NewCase{Type: other.Case.Type, Patient: other.Case.Patient, Text: "Något annat."}
	batch := wire.ReconcileBatch{Events: []wire.Event{lost, follow, orphan, other}}
	res := e.reconcile(unitA, batch)
	want := []wire.ItemStatus{wire.ItemAccepted, wire.ItemAccepted, wire.ItemRejected, wire.ItemRejected}
	for i, r := range res.Results {
		if r.Status != want[i] {
			t.Errorf("event %d: %s, want %s", i, r.Status, want[i])
		}
	}
	if res.Results[2].Problem.Status != http.StatusNotFound || res.Results[3].Problem.Status != http.StatusConflict {
		t.Errorf("problems %d and %d, want 404 and 409", res.Results[2].Problem.Status, res.Results[3].Problem.Status)
	}
	again := e.reconcile(unitA, batch)
	for i, r := range again.Results[:2] {
		if r.Status != wire.ItemDuplicate {
			t.Errorf("event %d again: %s, want duplicate", i, r.Status)
		}
	}
	p := e.inboxV2(unitA, 1, 10)
	if len(p.Events) != 2 || p.Events[0].ID != "lost-1" || p.Events[1].ID != "lost-2" || p.Events[0].Seq != 2 {
		t.Errorf("the stream after reconcile: %+v", p.Events)
	}
	pnr := page.Events[0].Case.Patient.PNR
	pc, err := e.store.PatientCase(e.ctx, pnr, lost.CaseID)
	if err != nil || len(pc.Messages) != 1 || pc.Text != lost.Case.Text {
		t.Errorf("the given-back case on the patient's pages: %+v, %v", pc, err)
	}
	if _, err := e.store.PatientCase(e.ctx, pnr, id); err != nil {
		t.Errorf("the original case: %v", err)
	}
}

// reconcile posts a batch to PathReconcile2 and returns the checked result.
func (e *env) reconcile(unit string, batch wire.ReconcileBatch) wire.ReconcileResult {
	e.t.Helper()
	b, err := wire.Marshal(batch)
	if err != nil {
		e.t.Fatal(err)
	}
	status, _, body := e.do(e.api, unit, http.MethodPost, wire.PathReconcile2, wire.ContentTypeJSON, b)
	if status != http.StatusOK {
		e.t.Fatalf("reconcile: %d %s", status, body)
	}
	res, err := wire.DecodeReconcileResult(bytes.NewReader(body))
	if err == nil {
		err = res.Matches(batch)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}
