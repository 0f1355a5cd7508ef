package cases_test

import (
	"errors"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestSendFromSystem: a system's message on a case goes through the
// workflow and the outbox once, whatever the retries; the same identifier
// with another text is ErrKeyReused; a new case needs a patient the unit
// knows unless the system may start one; each write is in the access log
// under the system's HSA-ID.
func TestSendFromSystem(t *testing.T) {
	svc, clock := dueEnv(t)
	clock.Set(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	sub := dueSub(clock.Now().Add(-time.Minute))
	c, err := svc.Receive(t.Context(), sub)
	if err != nil {
		t.Fatal(err)
	}
	sys := cases.IntegrationActor("SE2321000016-9001")
	m := cases.SystemMessage{ClientID: "urn:journal|note-1", CaseID: c.ID, Kind: cases.Answer,
		Text: "Provsvaren är normala.", Signature: "Journalsystemet, Vårdcentralen"}
	got, i, done, err := svc.SendFromSystem(t.Context(), sys, m)
	if err != nil || done {
		t.Fatalf("send: %v (done %v)", err, done)
	}
	if got.Status != cases.Answered || i != 1 || got.Messages[i].Text != m.Text || got.Messages[i].Signature != m.Signature ||
		got.Messages[i].Author != sys.HSAID {
		t.Fatalf("after the send: status %s, message %d %+v", got.Status, i, got.Messages[i])
	}
	again, j, done, err := svc.SendFromSystem(t.Context(), sys, m)
	if err != nil || !done || j != i || len(again.Messages) != 2 || again.Version != got.Version {
		t.Fatalf("retry: %v done %v index %d, %d messages", err, done, j, len(again.Messages))
	}
	out, err := svc.PendingOutbound(t.Context(), 10)
	if err != nil || len(out) != 1 || out[0].Kind != cases.OutboundAnswer || out[0].Signature != m.Signature {
		t.Fatalf("outbox after a retry: %+v, %v", out, err)
	}
	other := m
	other.Text = "Något annat."
	if _, _, _, err := svc.SendFromSystem(t.Context(), sys, other); !errors.Is(err, cases.ErrKeyReused) {
		t.Errorf("the identifier with another text: %v, want ErrKeyReused", err)
	}
	// A message naming another patient than the case's: refused, logged.
	wrong := m
	wrong.ClientID, wrong.Kind = "urn:journal|note-9", cases.PartialAnswer
	wrong.Patient = cases.Person{PNR: personnummer.Synthetic(time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC), 990)}
	if _, _, _, err := svc.SendFromSystem(t.Context(), sys, wrong); !errors.Is(err, cases.ErrWrongPatient) {
		t.Errorf("another patient named: %v, want ErrWrongPatient", err)
	}
	// Another system's identifier of the same value is its own.
	if _, _, _, err := svc.SendFromSystem(t.Context(), cases.IntegrationActor("SE2321000016-9003"), other); !errors.Is(err, cases.ErrIllegalTransition) {
		t.Errorf("another system, same identifier, on the answered case: %v, want the workflow's refusal", err)
	}

	// A new case: a known patient, then a stranger.
	start := cases.SystemMessage{ClientID: "urn:register|1", Patient: sub.Patient, Type: casetype.ContactMe,
		Subject: "Kallelse", Text: "Välkommen på kontroll.", Signature: "Registret"}
	nc, _, _, err := svc.SendFromSystem(t.Context(), sys, start)
	if err != nil || nc.InitiatedBy != sys.HSAID || nc.Assignee != "" || nc.Messages[0].Kind != cases.StaffFirst {
		t.Fatalf("start with a known patient: %+v, %v", nc, err)
	}
	stranger := start
	stranger.ClientID = "urn:register|2"
	stranger.Patient = cases.Person{PNR: personnummer.Synthetic(time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC), 990)}
	if _, _, _, err := svc.SendFromSystem(t.Context(), sys, stranger); !errors.Is(err, cases.ErrNoRelationship) {
		t.Errorf("a patient with no case here: %v, want ErrNoRelationship", err)
	}
	stranger.MayStart = true
	if _, _, _, err := svc.SendFromSystem(t.Context(), sys, stranger); err != nil {
		t.Errorf("a system that may start one: %v", err)
	}
	if _, _, _, err := svc.SendFromSystem(t.Context(), cases.StaffActor(dueClin.HSAID, []string{"clinician"}), m); !errors.Is(err, cases.ErrNotAllowed) {
		t.Errorf("staff through the systems' door: %v", err)
	}

	// Mark handled with the record's reference, twice: once.
	ref := &cases.Ref{System: "urn:oid:1.2.752.0.1", Value: "note-77"}
	h, err := svc.UpdateFromSystem(t.Context(), sys, c.ID, cases.SystemUpdate{Close: true, Ref: ref})
	if err != nil || h.Status != cases.Closed || len(h.Refs) != 1 || h.Refs[0].By != sys.HSAID {
		t.Fatalf("mark handled: %+v, %v", h, err)
	}
	if h2, err := svc.UpdateFromSystem(t.Context(), sys, c.ID, cases.SystemUpdate{Close: true, Ref: ref}); err != nil || h2.Version != h.Version {
		t.Errorf("again: %v, version %d → %d", err, h.Version, h2.Version)
	}
	if _, err := svc.UpdateFromSystem(t.Context(), sys, nc.ID, cases.SystemUpdate{Close: true}); err != nil {
		t.Errorf("close an answered started case: %v", err)
	}
	open, err := svc.Receive(t.Context(), dueSub(clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateFromSystem(t.Context(), sys, open.ID, cases.SystemUpdate{Close: true, Ref: ref}); !errors.Is(err, cases.ErrIllegalTransition) {
		t.Errorf("close an open case: %v, want ErrIllegalTransition", err)
	}
	if g, _ := svc.Get(t.Context(), dueDist, open.ID); len(g.Refs) != 0 {
		t.Errorf("a refused close attached the reference")
	}

	recs, err := svc.AccessLogByActor(t.Context(), cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-A001", Roles: []cases.Role{cases.Auditor}}, sys.HSAID)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, r := range recs {
		n[r.Entry.Action+"/"+string(r.Entry.Outcome)]++
	}
	for _, want := range []string{"answer/ok", "partial-answer/denied", "initiate/ok", "initiate/denied", "close/ok", "attach-reference/ok"} {
		if n[want] == 0 {
			t.Errorf("no %s entry in the access log: %v", want, n)
		}
	}
}
