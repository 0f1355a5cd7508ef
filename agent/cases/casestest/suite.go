package casestest

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// Unit is the care unit (HSA-ID) the stores given to RunServiceSuite must
// serve.
const Unit = "SE2321000016-E001"

// Canaries: patient data that must never reach the technical log (LG3).
const (
	canaryName = "Kanariefågel Testsson"
	canaryText = "KANARIE-TEXT ont i magen"
)

// RunServiceSuite runs the cases.Service tests, each as a subtest of t, on
// stores from newStore. Every call of newStore must return a fresh, empty
// store serving Unit; the suite reaches it only through cases.Store, and
// newStore may register cleanups (closing the store) on the t it is given.
func RunServiceSuite(t *testing.T, newStore func(t *testing.T) cases.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"Receive", suiteReceive},
		{"ReceiveDueDateOverEaster", suiteDueOverEaster},
		{"ReceiveInvalid", suiteReceiveInvalid},
		{"ReceiveGuardian", suiteReceiveGuardian},
		{"ReceiveIdempotent", suiteIdempotent},
		{"ReceiveBatchOneTransaction", suiteBatch},
		{"HappyPath", suiteHappyPath},
		{"TakeBackReassign", suiteTakeBackReassign},
		{"CounterQuestionFollowUp", suiteCounterFollowUp},
		{"FollowUpReopens", suiteFollowUpReopens},
		{"Withdrawn", suiteWithdrawn},
		{"OtherClinicianDenied", suiteOtherClinicianDenied},
		{"OneAuditEntryEach", suiteOneAuditEach},
		{"VersionConflict", suiteVersionConflict},
		{"NotFound", suiteNotFound},
		{"List", suiteList},
		{"ListCostsThePage", suiteListCostsThePage},
		{"ListPaging", suiteListPaging},
		{"InboxOrder", suiteInboxOrder},       // inboxsuite.go
		{"InboxCounts", suiteInboxCounts},     // inboxsuite.go
		{"SearchPatient", suiteSearchPatient}, // inboxsuite.go
		{"Stats", suiteStats},
		{"AccessLog", suiteAccessLog},
		{"AccessLogPages", suiteAccessLogPages},
		{"InboundApply", suiteInboundApply},
		{"InboundRefusedSkipped", suiteInboundRefusedSkipped},
		{"InboundConflict", suiteInboundConflict},
		{"InboundNewborn", suiteInboundNewborn},
		{"InboundQuarantine", suiteInboundQuarantine},
		{"InboundVersionRules", suiteInboundVersionRules},
		{"InboundFollowUpTooLong", suiteInboundFollowUpTooLong},
		{"OutboxFollowsChanges", suiteOutboxFollowsChanges},
		{"Authorize", suiteAuthorize},
		{"DueBy", suiteDueBy},
		{"OnChange", suiteOnChange},
		{"ConfirmSays", suiteConfirmSays},
		{"Signals", suiteSignals},
		{"OverdueIDs", suiteOverdueIDs},
		{"Initiate", suiteInitiate},
		{"InitiateRetry", suiteInitiateRetry},
		{"InitiateRefused", suiteInitiateRefused},
		{"InitiateReply", suiteInitiateReply},
		{"Continuity", suiteContinuity},
		{"GroupRouting", suiteGroupRouting},
		{"GroupQueueAccess", suiteGroupQueueAccess},
		{"GroupTake", suiteGroupTake},
		{"GroupRoute", suiteGroupRoute},
		{"GroupQueueCostsThePage", suiteGroupQueueCostsThePage},
		{"GroupInboxCounts", suiteGroupInboxCounts},
		{"ReadsLogged", suiteReadsLogged},                   // readsuite.go
		{"ReadsOutsideWrites", suiteReadsOutsideWrites},     // readsuite.go
		{"ReadNotShownUnlogged", suiteReadNotShownUnlogged}, // readsuite.go
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newEnv(t, newStore)) })
	}
}

func suiteReceive(t *testing.T, e *env) {
	now, sub := e.clock.Now(), e.sub()
	sub.Patient.PNR = personnummer.Personnummer(e.adult.String()) // YYYYMMDD-NNNC: stored as 12 digits
	var c *cases.Case
	e.oneAudit(audit.Entry{Actor: "system", Action: "receive", CaseID: anyCase, Patient: string(e.adult), Outcome: audit.Allowed}, func() {
		c = need(e.svc.Receive(e.ctx, sub))(t)
	})
	if rs := e.records("system"); rs[0].Entry.CaseID != string(c.ID) {
		t.Errorf("entry case %q, want %q", rs[0].Entry.CaseID, c.ID)
	}
	if _, err := caseid.Parse(string(c.ID)); err != nil {
		t.Errorf("case id: %v", err)
	}
	wantDue := time.Date(2026, 3, 4, 23, 59, 59, 999999999, workday.Stockholm()) // two working days
	if c.Status != cases.Received || c.Unit != Unit || c.Patient.PNR != e.adult || c.Version != 1 ||
		!c.ReceivedAt.Equal(now) || !c.DueAt.Equal(wantDue) || c.Assignee != "" {
		t.Errorf("received case %+v", c)
	}
	m := c.Messages[0]
	if len(c.Messages) != 1 || m.Kind != cases.FromPatient || m.Author != "patient" || m.Text != canaryText ||
		!m.At.Equal(sub.SubmittedAt) || m.ID == "" {
		t.Errorf("first message %+v", c.Messages)
	}
	if len(c.History) != 1 || c.History[0].Action != cases.Receive || c.History[0].To != cases.Received || c.History[0].Actor != "system" {
		t.Errorf("history %+v", c.History)
	}
	sameJSON(t, need(e.svc.Get(e.ctx, dist, c.ID))(t), c)
}

func suiteDueOverEaster(t *testing.T, e *env) {
	// Thursday before Easter 2026: Good Friday and Easter Monday are holidays.
	e.clock.Advance(time.Date(2026, 4, 2, 10, 0, 0, 0, workday.Stockholm()).Sub(e.clock.Now()))
	c := e.receive()
	if want := time.Date(2026, 4, 8, 23, 59, 59, 999999999, workday.Stockholm()); !c.DueAt.Equal(want) {
		t.Errorf("due %v, want %v", c.DueAt, want)
	}
}

func suiteReceiveInvalid(t *testing.T, e *env) {
	bad := string(e.adult[:11]) + string('0'+(e.adult[11]-'0'+1)%10)
	tooOld := personnummer.Synthetic(e.clock.Now().AddDate(-13, 0, 0), 983) // 13 today
	tests := []struct {
		name, field string
		mutate      func(*cases.Submission)
	}{
		{"bad check digit", "patient.pnr", func(s *cases.Submission) { s.Patient.PNR = personnummer.Personnummer(bad) }},
		{"no pnr", "patient.pnr", func(s *cases.Submission) { s.Patient.PNR = "" }},
		{"type not a service id", "type", func(s *cases.Submission) { s.Type = "Buy pizza" }},
		{"no name", "patient.name", func(s *cases.Submission) { s.Patient.Name = " " }},
		{"name with newline", "patient.name", func(s *cases.Submission) { s.Patient.Name = "Anna\nlevel=ERROR" }},
		{"name too long", "patient.name", func(s *cases.Submission) { s.Patient.Name = strings.Repeat("a", cases.MaxNameRunes+1) }},
		{"empty", "text", func(s *cases.Submission) { s.Text, s.Fields = " ", nil }},
		{"text not UTF-8", "text", func(s *cases.Submission) { s.Text = "hej \xff" }},
		{"text too long", "text", func(s *cases.Submission) { s.Text = strings.Repeat("ö", cases.MaxTextRunes+1) }},
		{"field with escape", "fields[0].value", func(s *cases.Submission) { s.Fields[0].Value = "\x1b[31m" }},
		{"field without name", "fields[0].name", func(s *cases.Submission) { s.Fields[0].Name = "" }},
		{"too many fields", "fields", func(s *cases.Submission) { s.Fields = make([]cases.Field, cases.MaxFields+1) }},
		{"no time", "submittedAt", func(s *cases.Submission) { s.SubmittedAt = time.Time{} }},
		{"malformed id", "id", func(s *cases.Submission) { s.ID = "NOT-AN-ID" }},
		{"guardian for an adult", "guardian", func(s *cases.Submission) {
			s.Guardian = &cases.Person{PNR: e.guardian, Name: "Vera Vårdnadshavare"}
		}},
		{"guardian under 18", "guardian", func(s *cases.Submission) {
			s.Patient.PNR = e.child
			s.Guardian = &cases.Person{PNR: personnummer.Synthetic(time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC), 984), Name: "Ung"}
		}},
		{"guardian is the child", "guardian", func(s *cases.Submission) {
			s.Patient.PNR = e.child
			s.Guardian = &cases.Person{PNR: e.child, Name: "Barn"}
		}},
		{"child turns 13 today", "guardian", func(s *cases.Submission) {
			s.Patient.PNR = tooOld
			s.Guardian = &cases.Person{PNR: e.guardian, Name: "Vera"}
		}},
		{"guardian pnr invalid", "guardian.pnr", func(s *cases.Submission) {
			s.Patient.PNR = e.child
			s.Guardian = &cases.Person{PNR: "12345", Name: "Vera"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := e.sub()
			tt.mutate(&s)
			_, err := e.svc.Receive(e.ctx, s)
			var ve *cases.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, cases.ErrInvalidInput) {
				t.Fatalf("Receive = %v, want a *ValidationError", err)
			}
			if ve.Field != tt.field || ve.Swedish() == "" {
				t.Errorf("field %q (%q), want %q", ve.Field, ve.Swedish(), tt.field)
			}
			for _, canary := range []string{string(e.adult), bad, canaryName, "level=ERROR"} {
				if strings.Contains(err.Error(), canary) {
					t.Errorf("error %q carries the input", err)
				}
			}
		})
	}
	if n := len(e.records("system")); n != 0 {
		t.Errorf("%d cases received from invalid submissions", n)
	}
}

func suiteReceiveGuardian(t *testing.T, e *env) {
	twelve := personnummer.Synthetic(e.clock.Now().AddDate(-13, 0, 1), 985) // 13 tomorrow
	for _, child := range []personnummer.Personnummer{e.child, twelve} {
		s := e.sub()
		s.Patient.PNR = child
		s.Guardian = &cases.Person{PNR: personnummer.Personnummer(e.guardian.String()), Name: "Vera Vårdnadshavare"}
		c := need(e.svc.Receive(e.ctx, s))(t)
		if c.Guardian == nil || c.Guardian.PNR != e.guardian || c.Patient.PNR != child {
			t.Errorf("guardian %+v for patient %s", c.Guardian, c.Patient.PNR)
		}
	}
}

func suiteIdempotent(t *testing.T, e *env) {
	s := e.sub()
	s.ID = need(caseid.New(e.clock.Now(), rand.NewChaCha8([32]byte{2})))(t)
	c1 := need(e.svc.Receive(e.ctx, s))(t)
	c2 := need(e.svc.Receive(e.ctx, s))(t)
	sameJSON(t, c2, c1)
	if c1.ID != s.ID {
		t.Errorf("case id %s, want the central store's %s", c1.ID, s.ID)
	}
	e.do(dist, c1.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	e.clock.Advance(time.Hour)
	c3 := need(e.svc.Receive(e.ctx, s))(t)
	if c3.Status != cases.Assigned || c3.Version != 2 {
		t.Errorf("a repeat delivery returned %s v%d, want the stored assigned v2", c3.Status, c3.Version)
	}
	if n := len(e.records("system")); n != 1 {
		t.Errorf("%d receive entries, want 1", n)
	}
	other := s
	other.Type = casetype.RenewPrescription
	_, err := e.svc.Receive(e.ctx, other)
	wantErr(t, err, cases.ErrExists)
}

func suiteBatch(t *testing.T, e *env) {
	subs := []cases.Submission{e.sub(), e.sub(), e.sub()}
	subs[1].ID = need(caseid.New(e.clock.Now(), rand.NewChaCha8([32]byte{3})))(t)
	subs = append(subs, subs[1])
	before := e.store.count()
	cs := need(e.svc.ReceiveBatch(e.ctx, subs))(t)
	if n := e.store.count() - before; n != 1 {
		t.Errorf("%d write transactions for a batch, want 1", n)
	}
	if len(cs) != 4 || cs[1].ID != subs[1].ID || cs[3].ID != cs[1].ID || cs[0].ID == cs[2].ID {
		t.Fatalf("batch result %v", cs)
	}
	if n := len(e.records("system")); n != 3 {
		t.Errorf("%d receive entries, want 3", n)
	}
	bad := []cases.Submission{e.sub(), e.sub()}
	bad[1].Type = ""
	_, err := e.svc.ReceiveBatch(e.ctx, bad)
	wantErr(t, err, cases.ErrInvalidInput)
	if !strings.Contains(err.Error(), "submission 1") {
		t.Errorf("error %q does not name the submission", err)
	}
	if n := len(e.records("system")); n != 3 {
		t.Errorf("a refused batch stored cases: %d receive entries", n)
	}
}

func suiteHappyPath(t *testing.T, e *env) {
	c := e.receive()
	c = e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	if c.Status != cases.Assigned || c.Assignee != hsaClinA || c.Version != 2 {
		t.Fatalf("assigned: %s %s v%d", c.Status, c.Assignee, c.Version)
	}
	sameJSON(t, need(e.svc.Get(e.ctx, clinA, c.ID))(t), c)
	e.clock.Advance(3 * time.Hour)
	c = e.do(clinA, c.ID, cases.Command{Action: cases.SendAnswer, Text: "Drick varmt.", Signature: "Anna A, ssk", Version: 2})
	m := c.Messages[len(c.Messages)-1]
	if c.Status != cases.Answered || !c.AnsweredAt.Equal(e.clock.Now()) || c.Version != 3 ||
		m.Kind != cases.Answer || m.Author != hsaClinA || m.Signature != "Anna A, ssk" {
		t.Fatalf("answered: %s at %v v%d, message %+v", c.Status, c.AnsweredAt, c.Version, m)
	}
	e.clock.Advance(time.Hour)
	c = e.do(clinA, c.ID, cases.Command{Action: cases.Close})
	if c.Status != cases.Closed || !c.ClosedAt.Equal(e.clock.Now()) || c.Version != 4 || len(c.History) != 4 {
		t.Fatalf("closed: %s at %v v%d, %d events", c.Status, c.ClosedAt, c.Version, len(c.History))
	}
	sameJSON(t, need(e.svc.Get(e.ctx, dist, c.ID))(t), c)
}

func suiteTakeBackReassign(t *testing.T, e *env) {
	c := e.receive()
	e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	c = e.do(dist, c.ID, cases.Command{Action: cases.Reassign, Assignee: hsaClinB})
	if c.Status != cases.Assigned || c.Assignee != hsaClinB {
		t.Fatalf("reassigned: %s %s", c.Status, c.Assignee)
	}
	_, err := e.svc.Get(e.ctx, clinA, c.ID)
	wantErr(t, err, cases.ErrNotAllowed)
	need(e.svc.Get(e.ctx, clinB, c.ID))(t)
	_, err = e.svc.Do(e.ctx, dist, c.ID, cases.Command{Action: cases.Reassign, Assignee: hsaClinB})
	wantErr(t, err, cases.ErrInvalidCommand)
	c = e.do(dist, c.ID, cases.Command{Action: cases.TakeBack})
	if c.Status != cases.Received || c.Assignee != "" {
		t.Fatalf("taken back: %s %q", c.Status, c.Assignee)
	}
	_, err = e.svc.Get(e.ctx, clinB, c.ID)
	wantErr(t, err, cases.ErrNotAllowed)
	e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	c = e.do(clinA, c.ID, cases.Command{Action: cases.HandBack})
	if c.Status != cases.Received || c.Assignee != "" {
		t.Fatalf("handed back: %s %q", c.Status, c.Assignee)
	}
}

func suiteCounterFollowUp(t *testing.T, e *env) {
	c := e.receive()
	e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	c = e.do(clinA, c.ID, cases.Command{Action: cases.SendCounter, Text: "Har du feber?"})
	if c.Status != cases.WaitingForPatient {
		t.Fatalf("after counter-question: %s", c.Status)
	}
	due := c.DueAt
	e.clock.Advance(7 * 24 * time.Hour)
	c = e.do(patient, c.ID, cases.Command{Action: cases.FollowUp, Text: "Ja, 39 grader."})
	m := c.Messages[len(c.Messages)-1]
	if c.Status != cases.Assigned || c.Assignee != hsaClinA || m.Kind != cases.FromPatient || m.Author != "patient" {
		t.Fatalf("after follow-up: %s %q %+v", c.Status, c.Assignee, m)
	}
	if !c.DueAt.Equal(cases.DueDate(e.clock.Now())) || !c.DueAt.After(due) {
		t.Errorf("due %v, want %v", c.DueAt, cases.DueDate(e.clock.Now()))
	}
	e.do(clinA, c.ID, cases.Command{Action: cases.SendAnswer, Text: "Kom in."})
}

func suiteFollowUpReopens(t *testing.T, e *env) {
	c := e.receive()
	e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	answered := e.do(clinA, c.ID, cases.Command{Action: cases.SendAnswer, Text: "Vila."}).AnsweredAt
	e.do(dist, c.ID, cases.Command{Action: cases.Close})
	e.clock.Advance(10 * 24 * time.Hour)
	c = e.do(patient, c.ID, cases.Command{Action: cases.FollowUp, Text: "Det blev inte bättre."})
	if c.Status != cases.Received || c.Assignee != "" || !c.ClosedAt.IsZero() || !c.AnsweredAt.Equal(answered) ||
		!c.DueAt.Equal(cases.DueDate(e.clock.Now())) {
		t.Fatalf("reopened: %s %q closed %v answered %v due %v", c.Status, c.Assignee, c.ClosedAt, c.AnsweredAt, c.DueAt)
	}
	_, err := e.svc.Get(e.ctx, clinA, c.ID)
	wantErr(t, err, cases.ErrNotAllowed)
	if got := need(e.svc.List(e.ctx, dist, cases.Filter{Status: []cases.Status{cases.Received}}))(t); len(got) != 1 {
		t.Errorf("the reopened case is not in the inbox: %d cases", len(got))
	}
}

func suiteWithdrawn(t *testing.T, e *env) {
	c := e.receive()
	e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	if c = e.do(patient, c.ID, cases.Command{Action: cases.Withdraw}); c.Status != cases.Withdrawn {
		t.Fatalf("withdrawn: %s", c.Status)
	}
	for _, x := range []struct {
		a   cases.Actor
		cmd cases.Command
	}{
		{dist, cases.Command{Action: cases.TakeBack}}, {clinA, cases.Command{Action: cases.SendAnswer, Text: "x"}},
		{patient, cases.Command{Action: cases.FollowUp, Text: "x"}}, {dist, cases.Command{Action: cases.Close}},
	} {
		_, err := e.svc.Do(e.ctx, x.a, c.ID, x.cmd)
		wantErr(t, err, cases.ErrIllegalTransition)
	}
}

func suiteOtherClinicianDenied(t *testing.T, e *env) {
	c := e.receive()
	c = e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	e.oneAudit(caseEntry(clinB, cases.Read, c, audit.Denied), func() {
		got, err := e.svc.Get(e.ctx, clinB, c.ID)
		wantErr(t, err, cases.ErrNotAllowed)
		if got != nil {
			t.Error("a denied read returned the case")
		}
	})
	e.oneAudit(caseEntry(clinB, cases.SendAnswer, c, audit.Denied), func() {
		_, err := e.svc.Do(e.ctx, clinB, c.ID, cases.Command{Action: cases.SendAnswer, Text: "x"})
		wantErr(t, err, cases.ErrNotAllowed)
		var te *cases.TransitionError
		if !errors.As(err, &te) || te.From != "" || strings.Contains(err.Error(), string(cases.Assigned)) {
			t.Errorf("the refusal %q tells the status of a case the clinician may not see", err)
		}
	})
	for _, a := range []cases.Actor{admin, auditor} {
		e.oneAudit(caseEntry(a, cases.Read, c, audit.Denied), func() {
			_, err := e.svc.Get(e.ctx, a, c.ID)
			wantErr(t, err, cases.ErrNotAllowed)
		})
	}
	for _, want := range []string{"case read denied", "case command denied", "caseId=" + string(c.ID), "actor=" + hsaClinB, "actor=" + hsaAdmin, "action=answer"} {
		if !strings.Contains(e.logs.String(), want) {
			t.Errorf("the denials are not logged with %q:\n%s", want, e.logs)
		}
	}
	if got := need(e.svc.Get(e.ctx, dist, c.ID))(t); got.Version != 2 {
		t.Errorf("a denied command changed the case: v%d", got.Version)
	}
	_, err := e.svc.Get(e.ctx, cases.Actor{Kind: cases.Staff, HSAID: "SE1\nlevel=ERROR msg=forged", Roles: []cases.Role{cases.Distributor}}, c.ID)
	wantErr(t, err, cases.ErrNotAllowed)
}

func suiteOneAuditEach(t *testing.T, e *env) {
	c := e.receive()
	e.oneAudit(caseEntry(dist, cases.Read, c, audit.Allowed), func() { need(e.svc.Get(e.ctx, dist, c.ID))(t) })
	e.oneAudit(caseEntry(dist, cases.Assign, c, audit.Allowed), func() {
		e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	})
	e.oneAudit(caseEntry(clinA, cases.SendPartial, c, audit.Allowed), func() {
		e.do(clinA, c.ID, cases.Command{Action: cases.SendPartial, Text: "Återkommer."})
	})
	e.oneAudit(caseEntry(dist, cases.Close, c, audit.Denied), func() {
		_, err := e.svc.Do(e.ctx, dist, c.ID, cases.Command{Action: cases.Close})
		wantErr(t, err, cases.ErrIllegalTransition)
	})
	e.oneAudit(caseEntry(patient, cases.FollowUp, c, audit.Allowed), func() {
		e.do(patient, c.ID, cases.Command{Action: cases.FollowUp, Text: "Tack."})
	})
	e.oneAudit(audit.Entry{Actor: hsaDist, Action: "list", Outcome: audit.Allowed}, func() {
		need(e.svc.List(e.ctx, dist, cases.Filter{}))(t)
	})
	e.oneAudit(audit.Entry{Actor: hsaAdmin, Action: "list", Outcome: audit.Denied}, func() {
		_, err := e.svc.List(e.ctx, admin, cases.Filter{})
		wantErr(t, err, cases.ErrNotAllowed)
	})
}

func suiteVersionConflict(t *testing.T, e *env) {
	c := e.receive()
	c = e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	e.oneAudit(caseEntry(clinA, cases.SendAnswer, c, audit.Denied), func() {
		_, err := e.svc.Do(e.ctx, clinA, c.ID, cases.Command{Action: cases.SendAnswer, Text: "x", Version: 1})
		wantErr(t, err, cases.ErrConflict)
	})
	sameJSON(t, need(e.svc.Get(e.ctx, clinA, c.ID))(t), c)
	e.do(clinA, c.ID, cases.Command{Action: cases.SendAnswer, Text: "x", Version: c.Version})
}

func suiteNotFound(t *testing.T, e *env) {
	id := need(caseid.New(e.clock.Now(), rand.NewChaCha8([32]byte{4})))(t)
	for _, id := range []cases.ID{id, "x\nlevel=ERROR", ""} {
		_, err := e.svc.Get(e.ctx, dist, id)
		wantErr(t, err, cases.ErrNotFound)
		_, err = e.svc.Do(e.ctx, dist, id, cases.Command{Action: cases.TakeBack})
		wantErr(t, err, cases.ErrNotFound)
	}
	if n := len(e.records(hsaDist)); n != 0 {
		t.Errorf("%d access-log entries for cases that do not exist", n)
	}
}

func suiteList(t *testing.T, e *env) {
	var c [4]*cases.Case
	for i := range c {
		s := e.sub()
		if i == 1 {
			s.Type = casetype.RenewPrescription
		}
		c[i] = need(e.svc.Receive(e.ctx, s))(t)
		e.clock.Advance(time.Minute) // ids sort in time order
	}
	e.do(dist, c[0].ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	e.do(dist, c[1].ID, cases.Command{Action: cases.Assign, Assignee: hsaClinB})
	e.do(dist, c[3].ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	e.do(clinA, c[3].ID, cases.Command{Action: cases.SendAnswer, Text: "Svar."})
	ids := func(cs []*cases.Case) string {
		var s []string
		for _, x := range cs {
			for i := range c {
				if x.ID == c[i].ID {
					s = append(s, string('0'+rune(i)))
				}
			}
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		who  cases.Actor
		f    cases.Filter
		want string
	}{
		{dist, cases.Filter{}, "0,1,2,3"},
		{dist, cases.Filter{Limit: 2}, "0,1"},
		{dist, cases.Filter{Status: []cases.Status{cases.Received}}, "2"},
		{dist, cases.Filter{Status: []cases.Status{cases.Answered, cases.Assigned}}, "0,1,3"},
		{dist, cases.Filter{Status: []cases.Status{cases.Answered, cases.Received, cases.Assigned}, Limit: 2}, "0,1"},
		{dist, cases.Filter{Status: []cases.Status{cases.Answered, cases.Received, cases.Assigned}, Type: casetype.AdviceNurse, Limit: 2}, "0,2"},
		{dist, cases.Filter{Type: casetype.AdviceNurse}, "0,2,3"},
		{dist, cases.Filter{Assignee: hsaClinB}, "1"},
		{dist, cases.Filter{Assignee: hsaClinA, Status: []cases.Status{cases.Assigned}}, "0"},
		{clinA, cases.Filter{}, "0,3"},
		{clinA, cases.Filter{Assignee: hsaClinB}, ""},
		{clinA, cases.Filter{Status: []cases.Status{cases.Received, cases.Assigned}}, "0"},
		{clinB, cases.Filter{Type: casetype.AdviceNurse}, ""},
		{dist, cases.Filter{Overdue: true}, ""},
	}
	for _, tt := range tests {
		if got := ids(need(e.svc.List(e.ctx, tt.who, tt.f))(t)); got != tt.want {
			t.Errorf("%s List(%+v) = %q, want %q", tt.who.Name(), tt.f, got, tt.want)
		}
	}
	e.do(clinB, c[1].ID, cases.Command{Action: cases.SendCounter, Text: "Vilken medicin?"})
	e.clock.Advance(5 * 24 * time.Hour)
	if got := ids(need(e.svc.List(e.ctx, dist, cases.Filter{Overdue: true}))(t)); got != "0,2" {
		t.Errorf("overdue = %q, want 0,2", got)
	}
	if got := ids(need(e.svc.List(e.ctx, clinA, cases.Filter{Overdue: true}))(t)); got != "0" {
		t.Errorf("clinician's overdue = %q, want 0", got)
	}
	for _, a := range []cases.Actor{admin, auditor, patient} {
		_, err := e.svc.List(e.ctx, a, cases.Filter{})
		wantErr(t, err, cases.ErrNotAllowed)
	}
	for _, f := range []cases.Filter{{Status: []cases.Status{"bogus"}}, {Limit: -1}, {Limit: cases.MaxListLimit + 1}, {Type: "X y"}, {Assignee: "a b"}} {
		_, err := e.svc.List(e.ctx, dist, f)
		wantErr(t, err, cases.ErrInvalidInput)
	}
}

func suiteStats(t *testing.T, e *env) {
	from := e.clock.Now().Add(-time.Hour)
	c := e.receive()
	e.receive()
	e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	e.clock.Advance(2 * time.Hour)
	e.do(clinA, c.ID, cases.Command{Action: cases.SendAnswer, Text: "Svar."})
	for _, a := range []cases.Actor{admin, dist} {
		st := need(e.svc.Stats(e.ctx, a, from, time.Time{}))(t)
		if st.Received != 2 || st.Answered != 1 || st.Unanswered != 1 || st.ByType[casetype.AdviceNurse] != 2 ||
			st.Handling.Median != 2*time.Hour {
			t.Errorf("stats %+v", st)
		}
	}
	// A period of whole Stockholm days: a store with aggregates answers it
	// from them, with the same figures.
	day := cases.StatsDayOf(from).Start()
	st := need(e.svc.Stats(e.ctx, admin, day, day.AddDate(0, 0, 1)))(t)
	if st.Received != 2 || st.Answered != 1 || st.Unanswered != 1 || st.ByType[casetype.AdviceNurse] != 2 ||
		st.Handling.Median != 2*time.Hour || st.Handling.P90 != 2*time.Hour || len(st.Weeks) != 1 {
		t.Errorf("stats of whole days %+v", st)
	}
	if n := len(e.records(hsaAdmin)); n != 0 {
		t.Errorf("statistics wrote %d access-log entries", n)
	}
	for _, a := range []cases.Actor{clinA, auditor, patient} {
		_, err := e.svc.Stats(e.ctx, a, from, time.Time{})
		wantErr(t, err, cases.ErrNotAllowed)
	}
	_, err := e.svc.Stats(e.ctx, admin, from, from)
	wantErr(t, err, cases.ErrInvalidInput)
}

// suiteAuthorize: an allowed check reads nothing for the caller and is not
// in the access log; a refused one is, as a denied read.
func suiteAuthorize(t *testing.T, e *env) {
	c := e.receive()
	e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	before := len(e.records(""))
	if err := e.svc.Authorize(e.ctx, clinA, c.ID); err != nil {
		t.Fatalf("the assignee: %v", err)
	}
	if err := e.svc.Authorize(e.ctx, dist, c.ID); err != nil {
		t.Fatalf("a distributor: %v", err)
	}
	if n := len(e.records("")); n != before {
		t.Fatalf("allowed checks wrote %d access-log entries, want 0", n-before)
	}
	e.oneAudit(caseEntry(clinB, cases.Read, c, audit.Denied), func() {
		wantErr(t, e.svc.Authorize(e.ctx, clinB, c.ID), cases.ErrNotAllowed)
	})
	wantErr(t, e.svc.Authorize(e.ctx, clinB, "not-an-id"), cases.ErrNotFound)
}

// dueCases receives a case, a day later another and a third that is
// answered at once, and returns the two still open, earliest due first.
func (e *env) dueCases() (early, late *cases.Case) {
	early = e.receive()
	e.clock.Advance(24 * time.Hour)
	late = e.receive()
	done := e.receive()
	e.do(dist, done.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	e.do(clinA, done.ID, cases.Command{Action: cases.SendAnswer, Text: "Svar."})
	return early, late
}

// suiteDueBy: DueBy lists open cases due before it, and no others.
func suiteDueBy(t *testing.T, e *env) {
	early, late := e.dueCases()
	got := need(e.svc.List(e.ctx, dist, cases.Filter{DueBy: early.DueAt.Add(time.Minute)}))(t)
	if len(got) != 1 || got[0].ID != early.ID {
		t.Fatalf("due by the first case's due date: %d cases, want only the first", len(got))
	}
	got = need(e.svc.List(e.ctx, dist, cases.Filter{DueBy: late.DueAt.Add(time.Minute)}))(t)
	if len(got) != 2 {
		t.Fatalf("due by the second case's due date: %d cases, want 2 (the answered one is not open)", len(got))
	}
}

// suiteOverdueIDs: the open cases past due, earliest first, read without
// a write (so without an access-log entry); answered ones are not among
// them.
func suiteOverdueIDs(t *testing.T, e *env) {
	early, late := e.dueCases()
	if got := need(e.svc.OverdueIDs(e.ctx))(t); len(got) != 0 {
		t.Fatalf("overdue at once: %v", got)
	}
	e.clock.Advance(7 * 24 * time.Hour)
	before := e.store.count()
	if got := need(e.svc.OverdueIDs(e.ctx))(t); !slices.Equal(got, []cases.ID{early.ID, late.ID}) {
		t.Errorf("overdue a week later: %v, want %v", got, []cases.ID{early.ID, late.ID})
	}
	if after := e.store.count(); after != before {
		t.Errorf("OverdueIDs made %d write transactions (an access-log entry needs one)", after-before)
	}
}

// suiteOnChange: every commit that creates or changes cases says which,
// after the fact; reads and refused commands do not.
func suiteOnChange(t *testing.T, e *env) {
	calls := func() []cases.Change {
		e.changedMu.Lock()
		defer e.changedMu.Unlock()
		return slices.Clone(e.changed)
	}
	is := func(ch cases.Change, ids []cases.ID, assignees ...string) bool {
		return slices.Equal(ch.IDs, ids) && slices.Equal(ch.Assignees, assignees)
	}
	c := e.receive()
	if got := calls(); len(got) != 1 || !is(got[0], []cases.ID{c.ID}) {
		t.Fatalf("after receive: %v", got)
	}
	e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	need(e.svc.Get(e.ctx, clinA, c.ID))(t)
	_, err := e.svc.Do(e.ctx, clinB, c.ID, cases.Command{Action: cases.SendAnswer, Text: "x"})
	wantErr(t, err, cases.ErrNotAllowed)
	if got := calls(); len(got) != 2 || !is(got[1], []cases.ID{c.ID}, hsaClinA) {
		t.Fatalf("after assign, a read and a refused answer: %v", got)
	}
	// Given to another: both clinicians' own lists change.
	e.do(dist, c.ID, cases.Command{Action: cases.Reassign, Assignee: hsaClinB})
	if got := calls(); len(got) != 3 || !is(got[2], []cases.ID{c.ID}, hsaClinA, hsaClinB) {
		t.Fatalf("after reassign: %v", got)
	}
	sub := e.sub()
	sub.ID = need(caseid.New(e.clock.Now(), rnd(e)))(t)
	need(e.svc.ApplyInbound(e.ctx, []cases.Inbound{{Kind: cases.InboundCreated, EventID: "ev-1", CaseID: sub.ID, At: sub.SubmittedAt, Submission: &sub}}, 1))(t)
	if got := calls(); len(got) != 4 || !is(got[3], []cases.ID{sub.ID}) {
		t.Fatalf("after an inbound case: %v", got)
	}
	// The patient writes again on the assigned case: its clinician's list.
	need(e.svc.ApplyInbound(e.ctx, []cases.Inbound{{Kind: cases.InboundFollowUp, EventID: "ev-2", CaseID: c.ID, At: e.clock.Now(),
		MessageID: "fu-1", Text: "Tillägg."}}, 2))(t)
	if got := calls(); len(got) != 5 || !is(got[4], []cases.ID{c.ID}, hsaClinB) {
		t.Fatalf("after a follow-up: %v", got)
	}
}

// suiteConfirmSays: an answer the central store has not confirmed is
// unsent (Unsent names its message id); its confirmation reports the case
// to OnChange, so that an open case page turns to "sent", and then it is
// no longer unsent. A confirmed status-only item reports nothing.
func suiteConfirmSays(t *testing.T, e *env) {
	c := e.receive()
	e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	c = e.do(clinA, c.ID, cases.Command{Action: cases.SendPartial, Text: "Vi återkommer."})
	msg := c.Messages[len(c.Messages)-1].ID
	if got := need(e.svc.Unsent(e.ctx, []string{msg, "no-such-key"}))(t); len(got) != 1 || !got[msg] {
		t.Fatalf("before the confirmation: Unsent %v, want only %s", got, msg)
	}
	e.changedMu.Lock()
	before := len(e.changed)
	e.changedMu.Unlock()
	pending := need(e.svc.PendingOutbound(e.ctx, 100))(t)
	var keys []string
	for _, o := range pending {
		keys = append(keys, o.Key)
	}
	if err := e.svc.ConfirmOutbound(e.ctx, keys); err != nil {
		t.Fatal(err)
	}
	e.changedMu.Lock()
	got := slices.Clone(e.changed[before:])
	e.changedMu.Unlock()
	if len(got) != 1 || !slices.Equal(got[0].IDs, []cases.ID{c.ID}) {
		t.Fatalf("the confirmation of the answer reported %v to OnChange, want one change of %s", got, c.ID)
	}
	if got := need(e.svc.Unsent(e.ctx, []string{msg}))(t); len(got) != 0 {
		t.Fatalf("after the confirmation: Unsent %v, want none", got)
	}
	// A status change only (closing the case): nothing to report.
	e.do(clinA, c.ID, cases.Command{Action: cases.SendAnswer, Text: "Klart."})
	c = e.do(clinA, c.ID, cases.Command{Action: cases.Close})
	pending = need(e.svc.PendingOutbound(e.ctx, 100))(t)
	if err := e.svc.ConfirmOutbound(e.ctx, []string{pending[len(pending)-1].Key}); err != nil {
		t.Fatal(err)
	}
	e.changedMu.Lock()
	defer e.changedMu.Unlock()
	if last := e.changed[len(e.changed)-1]; pending[len(pending)-1].Kind != cases.OutboundStatus || !slices.Equal(last.IDs, []cases.ID{c.ID}) || len(last.Assignees) == 0 {
		t.Fatalf("a confirmed status item (%s) reported a change: %v", pending[len(pending)-1].Kind, last)
	}
}
