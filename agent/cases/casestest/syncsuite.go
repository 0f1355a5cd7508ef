package casestest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/caseid"
)

// The sync part of the suite: central events applied with the cursor in
// one transaction, idempotently; staff changes the patient sees queued in
// the outbox with the change, in order, until confirmed.

func (e *env) newID() cases.ID {
	return need(caseid.New(e.clock.Now(), rnd(e)))(e.t)
}

func suiteInboundApply(t *testing.T, e *env) {
	sub := e.sub()
	caseID := e.newID()
	follow := string(e.newID())
	page := []cases.Inbound{
		{Kind: cases.InboundCreated, EventID: "e1", CaseID: caseID, At: sub.SubmittedAt, Submission: &sub},
		{Kind: cases.InboundFollowUp, EventID: "e2", CaseID: caseID, MessageID: follow, Text: "Jag glömde en sak."},
	}
	before := e.store.count()
	rep := need(e.svc.ApplyInbound(e.ctx, page, 2))(t)
	if rep.Applied != 2 || rep.Duplicates != 0 || rep.Refused != 0 {
		t.Fatalf("first delivery: %+v", rep)
	}
	if n := e.store.count() - before; n != 1 {
		t.Errorf("a page took %d transactions, want 1", n)
	}
	if cur := need(e.svc.SyncCursor(e.ctx))(t); cur != 2 {
		t.Errorf("cursor %d, want 2", cur)
	}
	// At-least-once delivery: the same page again changes nothing.
	rep = need(e.svc.ApplyInbound(e.ctx, page, 2))(t)
	if rep.Applied != 0 || rep.Duplicates != 2 {
		t.Fatalf("repeat delivery: %+v", rep)
	}
	c := need(e.svc.Get(e.ctx, dist, caseID))(t)
	if len(c.Messages) != 2 || c.Messages[1].ID != follow || c.Status != cases.Received {
		t.Fatalf("case after the page: %+v", c.Messages)
	}
	// A withdrawal, twice.
	w := []cases.Inbound{{Kind: cases.InboundWithdrawn, EventID: "e3", CaseID: caseID}}
	if rep := need(e.svc.ApplyInbound(e.ctx, w, 3))(t); rep.Applied != 1 {
		t.Fatalf("withdraw: %+v", rep)
	}
	if rep := need(e.svc.ApplyInbound(e.ctx, w, 3))(t); rep.Duplicates != 1 {
		t.Fatalf("withdraw again: %+v", rep)
	}
	if c := need(e.svc.Get(e.ctx, dist, caseID))(t); c.Status != cases.Withdrawn {
		t.Fatalf("status %s, want withdrawn", c.Status)
	}
	// An older cursor never moves it back.
	need(e.svc.ApplyInbound(e.ctx, nil, 1))(t)
	if cur := need(e.svc.SyncCursor(e.ctx))(t); cur != 3 {
		t.Errorf("cursor %d, want 3", cur)
	}
}

func suiteInboundRefusedSkipped(t *testing.T, e *env) {
	bad := e.sub()
	bad.Patient.PNR = "19800517-9999" // wrong check digit
	good := e.sub()
	page := []cases.Inbound{
		{Kind: cases.InboundCreated, EventID: "bad", CaseID: e.newID(), Submission: &bad},
		{Kind: cases.InboundFollowUp, EventID: "orphan", CaseID: e.newID(), MessageID: "m", Text: "hej"},
		{Kind: cases.InboundCreated, EventID: "good", CaseID: e.newID(), Submission: &good},
	}
	rep := need(e.svc.ApplyInbound(e.ctx, page, 7))(t)
	if rep.Applied != 1 || rep.Refused != 2 || rep.Duplicates != 0 {
		t.Fatalf("report %+v, want 1 applied, 2 refused", rep)
	}
	if cur := need(e.svc.SyncCursor(e.ctx))(t); cur != 7 {
		t.Errorf("one bad event must not stop the cursor: %d", cur)
	}
}

// suiteInboundConflict: an event that names a case or a follow-up already
// applied here, with other content, is not taken as a repeat delivery: it
// changes nothing, is counted as a conflict and logged by event and case
// id only; the same content again stays a duplicate.
func suiteInboundConflict(t *testing.T, e *env) {
	sub := e.sub()
	caseID := e.newID()
	follow := string(e.newID())
	page := []cases.Inbound{
		{Kind: cases.InboundCreated, EventID: "c1", CaseID: caseID, At: sub.SubmittedAt, Submission: &sub},
		{Kind: cases.InboundFollowUp, EventID: "f1", CaseID: caseID, MessageID: follow, Text: "Jag glömde en sak."},
	}
	need(e.svc.ApplyInbound(e.ctx, page, 2))(t)
	before := need(e.svc.Get(e.ctx, dist, caseID))(t)

	text, fields, name := sub, sub, sub
	text.Text += " Och en sak till."
	fields.Fields = append(slices.Clone(sub.Fields), cases.Field{Name: "extra", Label: "Extra", Value: "ja"})
	name.Patient.Name = "Någon Annan"
	var conflicting []cases.Inbound
	for i, s := range []cases.Submission{text, fields, name} {
		conflicting = append(conflicting, cases.Inbound{Kind: cases.InboundCreated, EventID: fmt.Sprintf("c1-%d", i), CaseID: caseID, At: s.SubmittedAt, Submission: &s})
	}
	conflicting = append(conflicting, cases.Inbound{Kind: cases.InboundFollowUp, EventID: "f1", CaseID: caseID, MessageID: follow, Text: "Något helt annat."})
	rep := need(e.svc.ApplyInbound(e.ctx, conflicting, 6))(t)
	if rep.Conflicts != 4 || rep.Applied != 0 || rep.Duplicates != 0 {
		t.Errorf("report %+v, want 4 conflicts", rep)
	}
	after := need(e.svc.Get(e.ctx, dist, caseID))(t)
	if len(after.Messages) != len(before.Messages) || after.Version != before.Version || after.Messages[0].Text != before.Messages[0].Text ||
		after.Messages[1].Text != "Jag glömde en sak." || len(after.Fields) != len(before.Fields) || after.Patient != before.Patient {
		t.Errorf("a conflicting event changed the case")
	}
	if cur := need(e.svc.SyncCursor(e.ctx))(t); cur != 6 {
		t.Errorf("a conflict must not stop the cursor: %d", cur)
	}
	if rep := need(e.svc.ApplyInbound(e.ctx, page, 6))(t); rep.Duplicates != 2 || rep.Conflicts != 0 {
		t.Errorf("the same page again: %+v, want 2 duplicates", rep)
	}
	logs := e.logs.String()
	if n := strings.Count(logs, "inbound event conflicts with what is stored; quarantined"); n != 4 {
		t.Errorf("%d conflicts logged, want 4", n)
	}
	for _, canary := range []string{"Någon Annan", "Något helt annat", "en sak till", sub.Patient.Name} {
		if strings.Contains(logs, canary) {
			t.Errorf("the logs contain patient data %q", canary)
		}
	}
}

func suiteOutboxFollowsChanges(t *testing.T, e *env) {
	c := e.receive()
	e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	// A reassignment is queued as an assignment item: no status, the new
	// assignee (kept by the central store for a restore, never shown to
	// the patient).
	e.do(dist, c.ID, cases.Command{Action: cases.Reassign, Assignee: hsaClinB})
	e.do(clinB, c.ID, cases.Command{Action: cases.SendAnswer, Text: "Receptet är förnyat.", Signature: "Doktor B", AuthorTitle: "Läkare"})
	out := need(e.svc.PendingOutbound(e.ctx, 10))(t)
	if len(out) != 3 {
		t.Fatalf("outbox %+v, want the assignment's status, the reassignment and the answer", out)
	}
	if n := e.outbound.Load(); n != 3 {
		t.Errorf("OnOutbound called %d times for 3 queued changes", n)
	}
	if out[0].Kind != cases.OutboundStatus || out[0].Status != cases.Assigned || out[0].CaseID != c.ID || out[0].AssigneeHSAID != hsaClinA {
		t.Errorf("first item %+v", out[0])
	}
	if r := out[1]; r.Kind != cases.OutboundAssignment || r.Status != "" || r.AssigneeHSAID != hsaClinB || r.Text != "" || r.MessageID != "" {
		t.Errorf("reassignment item %+v", r)
	}
	reassigned := out[1].Key
	out = slices.Delete(out, 1, 2)
	a := out[1]
	if a.Kind != cases.OutboundAnswer || a.Status != cases.Answered || a.Text != "Receptet är förnyat." ||
		a.Signature != "Doktor B" || a.AuthorTitle != "Läkare" || a.MessageID == "" || a.Key == "" || a.Key == out[0].Key {
		t.Errorf("answer item %+v", a)
	}
	// A refused command queues nothing.
	if _, err := e.svc.Do(e.ctx, clinA, c.ID, cases.Command{Action: cases.SendAnswer, Text: "x"}); err == nil {
		t.Fatal("a clinician answered a case that is not theirs")
	}
	if n := len(need(e.svc.PendingOutbound(e.ctx, 10))(t)); n != 3 || e.outbound.Load() != 3 {
		t.Errorf("outbox grew to %d (OnOutbound %d calls) on a refused command", n, e.outbound.Load())
	}
	// Confirmation removes, repeats are harmless, order is kept.
	if err := e.svc.ConfirmOutbound(e.ctx, []string{out[0].Key, out[0].Key, reassigned, "unknown"}); err != nil {
		t.Fatal(err)
	}
	rest := need(e.svc.PendingOutbound(e.ctx, 10))(t)
	if len(rest) != 1 || rest[0].Key != a.Key {
		t.Fatalf("after confirming the first: %+v", rest)
	}
}

// suiteSignals: the signals notices are made from. A page with two new
// cases and a follow-up is one "arrived" of 2; the same page again is
// none; assign and reassign name the new assignee; take back and answers
// signal nothing.
func suiteSignals(t *testing.T, e *env) {
	subA, subB := e.sub(), e.sub()
	idA, idB := e.newID(), e.newID()
	page := []cases.Inbound{
		{Kind: cases.InboundCreated, EventID: "s1", CaseID: idA, At: subA.SubmittedAt, Submission: &subA},
		{Kind: cases.InboundCreated, EventID: "s2", CaseID: idB, At: subB.SubmittedAt, Submission: &subB},
		{Kind: cases.InboundFollowUp, EventID: "s3", CaseID: idA, MessageID: string(e.newID()), Text: "En sak till."},
	}
	need(e.svc.ApplyInbound(e.ctx, page, 3))(t)
	need(e.svc.ApplyInbound(e.ctx, page, 3))(t)
	c := need(e.svc.Do(e.ctx, dist, idA, cases.Command{Action: cases.Assign, Assignee: clinA.HSAID}))(t)
	c = need(e.svc.Do(e.ctx, dist, idA, cases.Command{Action: cases.TakeBack, Version: c.Version}))(t)
	need(e.svc.Do(e.ctx, dist, idA, cases.Command{Action: cases.Assign, Assignee: clinB.HSAID, Version: c.Version}))(t)
	e.changedMu.Lock()
	got := slices.Clone(e.signals)
	e.changedMu.Unlock()
	want := []cases.Signal{
		{Kind: cases.SignalArrived, Count: 2},
		{Kind: cases.SignalAssigned, Assignee: clinA.HSAID},
		{Kind: cases.SignalAssigned, Assignee: clinB.HSAID},
	}
	if !slices.Equal(got, want) {
		t.Errorf("signals %+v, want %+v", got, want)
	}
}
