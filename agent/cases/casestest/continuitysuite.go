package casestest

import (
	"bytes"
	"testing"
	"time"

	"clinicgw/agent/cases"
)

// suiteContinuity: a chained page records the head and the journal in the
// page's one transaction; confirmed outbox items are retained; both are
// pruned after the retention; ResetSync moves the cursor back and drops
// the journal after it.
func suiteContinuity(t *testing.T, e *env) {
	if _, ok := need2(e.svc.SyncHead(e.ctx))(t); ok {
		t.Fatal("a new store has a sync head")
	}
	sub := e.sub()
	id1, id2 := e.newID(), e.newID()
	page := []cases.Inbound{
		{Kind: cases.InboundCreated, EventID: "e1", CaseID: id1, At: sub.SubmittedAt, Submission: &sub},
		{Kind: cases.InboundCreated, EventID: "e2", CaseID: id2, At: sub.SubmittedAt, Submission: &sub},
	}
	head := cases.SyncHead{Seq: 2, Link: [32]byte{2}, Incarnation: "inc"}
	journal := []cases.JournalEntry{
		{Seq: 1, Link: [32]byte{1}, Applied: e.clock.Now(), Event: []byte(`{"id":"e1"}`)},
		{Seq: 2, Link: [32]byte{2}, Applied: e.clock.Now(), Event: []byte(`{"id":"e2"}`)},
	}
	before := e.store.count()
	if rep := need(e.svc.ApplyChained(e.ctx, page, head, journal))(t); rep.Applied != 2 {
		t.Fatalf("chained page: %+v", rep)
	}
	if n := e.store.count() - before; n != 1 {
		t.Errorf("a chained page took %d transactions, want 1", n)
	}
	if h, ok := need2(e.svc.SyncHead(e.ctx))(t); !ok || h != head {
		t.Errorf("sync head %+v %v, want %+v", h, ok, head)
	}
	if cur := need(e.svc.SyncCursor(e.ctx))(t); cur != 2 {
		t.Errorf("cursor %d", cur)
	}
	got := need(e.svc.Journal(e.ctx, 0, 10))(t)
	if len(got) != 2 || got[1].Seq != 2 || got[1].Link != journal[1].Link || !bytes.Equal(got[1].Event, journal[1].Event) {
		t.Errorf("journal %+v", got)
	}
	if got := need(e.svc.Journal(e.ctx, 1, 10))(t); len(got) != 1 || got[0].Seq != 2 {
		t.Errorf("journal after 1: %+v", got)
	}

	// Confirmed outbox items are retained, in order.
	e.do(dist, id1, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	e.do(clinA, id1, cases.Command{Action: cases.SendAnswer, Text: "Svar.", AuthorTitle: "Läkare"})
	out := need(e.svc.PendingOutbound(e.ctx, 10))(t)
	if len(out) != 2 {
		t.Fatalf("outbox %+v", out)
	}
	if err := e.svc.ConfirmOutbound(e.ctx, []string{out[0].Key, out[1].Key, "unknown"}); err != nil {
		t.Fatal(err)
	}
	kept := need(e.svc.RetainedOutbound(e.ctx, 0, 10))(t)
	if len(kept) != 2 || kept[0].Item.Key != out[0].Key || kept[1].Item.Text != "Svar." || kept[1].Pos <= kept[0].Pos {
		t.Errorf("retained %+v", kept)
	}
	if n := len(need(e.svc.PendingOutbound(e.ctx, 10))(t)); n != 0 {
		t.Errorf("%d items still queued", n)
	}
	if got := need(e.svc.RetainedOutbound(e.ctx, kept[0].Pos, 10))(t); len(got) != 1 {
		t.Errorf("retained after the first: %d", len(got))
	}

	// ResetSync: back to 1, the journal after it dropped.
	back := cases.SyncHead{Seq: 1, Link: [32]byte{1}, Incarnation: "inc"}
	if err := e.svc.ResetSync(e.ctx, back); err != nil {
		t.Fatal(err)
	}
	if cur := need(e.svc.SyncCursor(e.ctx))(t); cur != 1 {
		t.Errorf("cursor after reset %d, want 1", cur)
	}
	if got := need(e.svc.Journal(e.ctx, 0, 10))(t); len(got) != 1 || got[0].Seq != 1 {
		t.Errorf("journal after reset %+v", got)
	}

	// After the retention both are pruned by the next commit that prunes.
	e.clock.Advance(cases.DefaultSyncRetention + time.Hour)
	if err := e.svc.ConfirmOutbound(e.ctx, []string{"unknown"}); err != nil {
		t.Fatal(err)
	}
	if n := len(need(e.svc.RetainedOutbound(e.ctx, 0, 10))(t)); n != 0 {
		t.Errorf("%d retained items after the retention", n)
	}
	if n := len(need(e.svc.Journal(e.ctx, 0, 10))(t)); n != 0 {
		t.Errorf("%d journal entries after the retention", n)
	}
}

func need2[T any](v T, ok bool, err error) func(*testing.T) (T, bool) {
	return func(t *testing.T) (T, bool) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v, ok
	}
}
