package casestest

import (
	"errors"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// initReq is a valid request to start a case with the suite's adult.
func (e *env) initReq(reply bool) cases.InitiateRequest {
	return cases.InitiateRequest{
		Patient: cases.Person{PNR: personnummer.Personnummer(e.adult.String()), Name: canaryName}, // YYYYMMDD-NNNC
		Type:    casetype.ContactMe, Subject: "Dina provsvar", Text: canaryText,
		Signature: "Anna A, sjuksköterska", AuthorTitle: "Sjuksköterska", ReplyAllowed: reply,
	}
}

// suiteInitiate: a clinician and a distributor start cases with a patient;
// the case, its first message, its status, its one access-log entry and
// its one outbox item.
func suiteInitiate(t *testing.T, e *env) {
	tests := []struct {
		name         string
		actor        cases.Actor
		reply        bool
		wantStatus   cases.Status
		wantAssignee string
	}{
		{"clinician, replies allowed", clinA, true, cases.WaitingForPatient, hsaClinA},
		{"clinician, no replies", clinA, false, cases.Answered, hsaClinA},
		{"distributor, replies allowed", dist, true, cases.WaitingForPatient, ""},
		{"distributor, no replies", dist, false, cases.Answered, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(need(e.svc.PendingOutbound(e.ctx, 100))(t))
			outbound := e.outbound.Load()
			var c *cases.Case
			e.oneAudit(audit.Entry{Actor: tc.actor.Name(), Action: string(cases.Initiate), CaseID: anyCase,
				Patient: string(e.adult), Outcome: audit.Allowed}, func() {
				c = need(e.svc.Initiate(e.ctx, tc.actor, e.initReq(tc.reply)))(t)
			})
			if c.Status != tc.wantStatus || c.Assignee != tc.wantAssignee || c.Patient.PNR != e.adult ||
				c.Subject != "Dina provsvar" || c.InitiatedBy != tc.actor.HSAID || c.NoReply == tc.reply ||
				c.Unit != Unit || c.Version != 1 || !c.AnsweredAt.IsZero() || c.Status.Open() {
				t.Fatalf("case %+v", c)
			}
			if len(c.Messages) != 1 {
				t.Fatalf("messages %+v", c.Messages)
			}
			m := c.Messages[0]
			if m.Kind != cases.StaffFirst || m.Author != tc.actor.HSAID || m.Text != canaryText ||
				m.Signature != "Anna A, sjuksköterska" || m.AuthorTitle != "Sjuksköterska" || !m.At.Equal(e.clock.Now()) {
				t.Errorf("first message %+v", m)
			}
			if len(c.History) != 1 || c.History[0].Action != cases.Initiate || c.History[0].To != tc.wantStatus {
				t.Errorf("history %+v", c.History)
			}
			out := need(e.svc.PendingOutbound(e.ctx, 100))(t)
			if len(out) != before+1 || e.outbound.Load() != outbound+1 {
				t.Fatalf("outbox %d → %d items (OnOutbound %d → %d), want one more", before, len(out), outbound, e.outbound.Load())
			}
			o := out[len(out)-1]
			in := o.Initiated
			if o.Kind != cases.OutboundInitiated || o.CaseID != c.ID || o.Key != m.ID || o.MessageID != m.ID ||
				o.Text != canaryText || o.AuthorTitle != "Sjuksköterska" || o.Status != tc.wantStatus ||
				in == nil || in.Patient.PNR != e.adult || in.Type != casetype.ContactMe || in.Subject != "Dina provsvar" ||
				in.ReplyAllowed != tc.reply {
				t.Errorf("outbox item %+v (case %+v)", o, in)
			}
			got := need(e.svc.Get(e.ctx, tc.actor, c.ID))(t)
			sameJSON(t, got, c)
		})
	}
}

// suiteInitiateRetry: a retry with the same id returns the same case and
// queues nothing more; the id of another case is refused.
func suiteInitiateRetry(t *testing.T, e *env) {
	id := need(e.svc.NewCaseID())(t)
	req := e.initReq(true)
	req.ID = id
	first := need(e.svc.Initiate(e.ctx, clinA, req))(t)
	e.clock.Advance(time.Second)
	again := need(e.svc.Initiate(e.ctx, clinA, req))(t)
	sameJSON(t, again, first)
	if out := need(e.svc.PendingOutbound(e.ctx, 10))(t); len(out) != 1 || e.outbound.Load() != 1 {
		t.Errorf("a retry queued again: %d items, OnOutbound %d", len(out), e.outbound.Load())
	}
	if rs := e.records(hsaClinA); len(rs) != 1 {
		t.Errorf("%d access-log records for two attempts of one case, want 1", len(rs))
	}
	// Another clinician, or another case, with the id: refused.
	if _, err := e.svc.Initiate(e.ctx, clinB, req); !errors.Is(err, cases.ErrExists) {
		t.Errorf("another clinician with the id: %v", err)
	}
	r := e.receive()
	req.ID = r.ID
	if _, err := e.svc.Initiate(e.ctx, clinA, req); !errors.Is(err, cases.ErrExists) {
		t.Errorf("a patient's case id: %v", err)
	}
}

// suiteInitiateRefused: roles that may not start a case, and requests
// that are not valid, change nothing; a refused role is in the access log.
func suiteInitiateRefused(t *testing.T, e *env) {
	for _, a := range []cases.Actor{admin, auditor, patient, {Kind: cases.System}} {
		if _, err := e.svc.Initiate(e.ctx, a, e.initReq(true)); !errors.Is(err, cases.ErrNotAllowed) {
			t.Errorf("%s: %v, want ErrNotAllowed", a.Name(), err)
		}
	}
	if rs := e.records(hsaAdmin); len(rs) != 1 || rs[0].Entry.Outcome != audit.Denied || rs[0].Entry.Patient != string(e.adult) ||
		rs[0].Entry.Action != string(cases.Initiate) {
		t.Errorf("admin's attempt in the access log: %+v", rs)
	}
	bad := []struct {
		field string
		edit  func(*cases.InitiateRequest)
	}{
		{"patient.pnr", func(r *cases.InitiateRequest) { r.Patient.PNR = "19800517-9801" }}, // wrong check digit
		{"patient.pnr", func(r *cases.InitiateRequest) { r.Patient.PNR = "" }},
		{"patient.name", func(r *cases.InitiateRequest) { r.Patient.Name = "a\nb" }},
		{"type", func(r *cases.InitiateRequest) { r.Type = "staff gossip" }},
		{"subject", func(r *cases.InitiateRequest) { r.Subject = "  " }},
		{"subject", func(r *cases.InitiateRequest) { r.Subject = string(make([]rune, cases.MaxSubjectRunes+1)) }},
		{"text", func(r *cases.InitiateRequest) { r.Text = " \n" }},
		{"authorTitle", func(r *cases.InitiateRequest) { r.AuthorTitle = hsaClinA }},
		{"id", func(r *cases.InitiateRequest) { r.ID = "not-an-id" }},
	}
	for _, b := range bad {
		req := e.initReq(true)
		b.edit(&req)
		_, err := e.svc.Initiate(e.ctx, clinA, req)
		var ve *cases.ValidationError
		if !errors.As(err, &ve) || ve.Field != b.field || ve.Swedish() == "" {
			t.Errorf("%s: %v", b.field, err)
		}
	}
	// A name is optional.
	req := e.initReq(false)
	req.Patient.Name = ""
	need(e.svc.Initiate(e.ctx, clinA, req))(t)
	if out := need(e.svc.PendingOutbound(e.ctx, 10))(t); len(out) != 1 {
		t.Errorf("outbox holds %d items, want only the valid request's", len(out))
	}
	if rs := e.records(hsaClinA); len(rs) != 1 {
		t.Errorf("%d access-log records for clinician A, want only the valid request's", len(rs))
	}
}

// suiteInitiateReply: the patient's reply to a case a clinician started
// goes to that clinician; to a distributor's, to the inbox; to a case
// without replies, nowhere.
func suiteInitiateReply(t *testing.T, e *env) {
	reply := func(c *cases.Case, eventID string) cases.ApplyReport {
		t.Helper()
		in := []cases.Inbound{{Kind: cases.InboundFollowUp, EventID: eventID, CaseID: c.ID,
			MessageID: string(e.newID()), Text: "Tack, jag kommer.", At: e.clock.Now()}}
		return need(e.svc.ApplyInbound(e.ctx, in, 0))(t)
	}
	mine := need(e.svc.Initiate(e.ctx, clinA, e.initReq(true)))(t)
	if rep := reply(mine, "e1"); rep.Applied != 1 {
		t.Fatalf("reply: %+v", rep)
	}
	c := need(e.svc.Get(e.ctx, clinA, mine.ID))(t)
	if c.Status != cases.Assigned || c.Assignee != hsaClinA || len(c.Messages) != 2 || c.Messages[1].Kind != cases.FromPatient ||
		!c.DueAt.Equal(cases.DueDate(e.clock.Now())) {
		t.Errorf("after the reply: %s %q %+v", c.Status, c.Assignee, c.Messages)
	}
	e.do(clinA, c.ID, cases.Command{Action: cases.SendAnswer, Text: "Välkommen."})

	inbox := need(e.svc.Initiate(e.ctx, dist, e.initReq(true)))(t)
	reply(inbox, "e2")
	if c := need(e.svc.Get(e.ctx, dist, inbox.ID))(t); c.Status != cases.Received || c.Assignee != "" {
		t.Errorf("reply to a distributor's case: %s %q, want received without assignee", c.Status, c.Assignee)
	}

	closed := need(e.svc.Initiate(e.ctx, clinA, e.initReq(false)))(t)
	if rep := reply(closed, "e3"); rep.Refused != 1 {
		t.Errorf("a reply where none is allowed: %+v", rep)
	}
	if c := need(e.svc.Get(e.ctx, clinA, closed.ID))(t); c.Status != cases.Answered || len(c.Messages) != 1 {
		t.Errorf("no-reply case changed: %s %d messages", c.Status, len(c.Messages))
	}
}
