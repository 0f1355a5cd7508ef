package casestest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// The no-silent-skip part of the suite: an inbound event is judged by the
// central store's time of record, not by this gateway's clock.

// suiteInboundNewborn: a newborn's case, accepted by the central store just
// after midnight on the day of birth, reaches a gateway whose clock is
// still on the day before (a few minutes behind the central store's). The
// birth date is judged against the time of record, so the case is stored,
// not refused.
func suiteInboundNewborn(t *testing.T, e *env) {
	sthlm := workday.Stockholm()
	accepted := time.Date(2026, 3, 3, 0, 2, 0, 0, sthlm) // the central store's clock
	e.clock.Set(accepted.Add(-5 * time.Minute))          // the gateway's: 23:57 the day before
	born := personnummer.Synthetic(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), 983)
	sub := e.sub()
	sub.Patient.PNR = personnummer.Personnummer(born.String()) // YYYYMMDD-NNNC, as the wire carries it
	sub.Guardian = &cases.Person{PNR: e.guardian, Name: "Förälder Testsson"}
	sub.SubmittedAt = accepted
	id := e.newID()
	in := []cases.Inbound{{Kind: cases.InboundCreated, EventID: "newborn", CaseID: id, At: accepted, Submission: &sub}}
	rep := need(e.svc.ApplyInbound(e.ctx, in, 1))(t)
	if rep.Applied != 1 {
		t.Fatalf("the newborn's case: report %+v, want it applied", rep)
	}
	c := need(e.svc.Get(e.ctx, dist, id))(t)
	if c.Patient.PNR != born {
		t.Errorf("patient %q, want the newborn", c.Patient.PNR)
	}
}

// suiteInboundQuarantine: events that cannot apply are kept in the
// quarantine, in the page's transaction, with their reason, while the
// cursor moves on; a retry applies what applies now, in order; a release
// removes one; nothing about them reaches the log but ids.
func suiteInboundQuarantine(t *testing.T, e *env) {
	bad := e.sub()
	bad.Patient.PNR = "19800517-9999" // wrong check digit: no version's rule
	good, conflicting := e.sub(), e.sub()
	conflicting.Text = "Något helt annat."
	goodID, lateID := e.newID(), e.newID()
	late := e.sub()
	page := []cases.Inbound{
		{Kind: cases.InboundCreated, EventID: "q-bad", CaseID: e.newID(), At: bad.SubmittedAt, Submission: &bad},
		{Kind: cases.InboundFollowUp, EventID: "q-orphan", CaseID: lateID, MessageID: string(e.newID()), Text: "hej"},
		{Kind: cases.InboundCreated, EventID: "q-good", CaseID: goodID, At: good.SubmittedAt, Submission: &good},
		{Kind: cases.InboundCreated, EventID: "q-conflict", CaseID: goodID, At: conflicting.SubmittedAt, Submission: &conflicting},
		{Kind: "case.teleported", EventID: "q-kind", CaseID: goodID},
	}
	before := e.store.count()
	rep := need(e.svc.ApplyInbound(e.ctx, page, 9))(t)
	if rep.Applied != 1 || rep.Quarantined != 4 || rep.Conflicts != 1 || rep.Refused != 3 {
		t.Fatalf("report %+v, want 1 applied, 4 quarantined (1 conflict, 3 refused)", rep)
	}
	if n := e.store.count() - before; n != 1 {
		t.Errorf("the page and its quarantine took %d transactions, want 1", n)
	}
	if cur := need(e.svc.SyncCursor(e.ctx))(t); cur != 9 {
		t.Errorf("cursor %d, want 9: a quarantined event must not stop the ones after it", cur)
	}
	qs := need(e.svc.Quarantine(e.ctx))(t)
	want := []struct {
		event  string
		reason cases.QuarantineReason
		field  string
	}{
		{"q-bad", cases.QuarantineInvalid, "patient.pnr"},
		{"q-orphan", cases.QuarantineUnknownCase, ""},
		{"q-conflict", cases.QuarantineConflict, ""},
		{"q-kind", cases.QuarantineUnknownKind, ""},
	}
	if len(qs) != len(want) {
		t.Fatalf("quarantine holds %d events, want %d: %+v", len(qs), len(want), qs)
	}
	for i, w := range want {
		q := qs[i]
		if q.Event.EventID != w.event || q.Reason != w.reason || q.Field != w.field || q.Cursor != 9 || !q.At.Equal(e.clock.Now()) || q.Seq == 0 {
			t.Errorf("quarantined[%d] = %s %s %q cursor %d seq %d, want %s %s %q cursor 9", i, q.Event.EventID, q.Reason, q.Field, q.Cursor, q.Seq, w.event, w.reason, w.field)
		}
	}
	if qs[0].Event.Submission == nil || qs[0].Event.Submission.Text != bad.Text {
		t.Error("the quarantined case lost its content")
	}
	if n := need(e.svc.QuarantineCount(e.ctx))(t); n != 4 {
		t.Errorf("count %d, want 4", n)
	}
	// The same page again (a repeat delivery) quarantines nothing twice.
	need(e.svc.ApplyInbound(e.ctx, page, 9))(t)
	if n := need(e.svc.QuarantineCount(e.ctx))(t); n != 4 {
		t.Errorf("after a repeat delivery the quarantine holds %d, want 4", n)
	}

	// The orphan's case arrives later; a retry applies the follow-up.
	lateIn := []cases.Inbound{{Kind: cases.InboundCreated, EventID: "q-late", CaseID: lateID, At: late.SubmittedAt, Submission: &late}}
	need(e.svc.ApplyInbound(e.ctx, lateIn, 10))(t)
	rr := need(e.svc.RetryQuarantine(e.ctx))(t)
	if rr.Applied != 1 || rr.Remaining != 3 {
		t.Errorf("retry %+v, want 1 applied, 3 remaining", rr)
	}
	if c := need(e.svc.Get(e.ctx, dist, lateID))(t); len(c.Messages) != 2 || c.Messages[1].Text != "hej" {
		t.Errorf("the retried follow-up is not on its case: %d messages", len(c.Messages))
	}
	if cur := need(e.svc.SyncCursor(e.ctx))(t); cur != 10 {
		t.Errorf("a retry moved the cursor to %d", cur)
	}
	// Region IT releases the conflict.
	qs = need(e.svc.Quarantine(e.ctx))(t)
	if err := e.svc.ReleaseQuarantine(e.ctx, qs[1].Seq); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ReleaseQuarantine(e.ctx, qs[1].Seq); !errors.Is(err, cases.ErrNotQuarantined) {
		t.Errorf("a second release: %v, want ErrNotQuarantined", err)
	}
	left := need(e.svc.Quarantine(e.ctx))(t)
	if len(left) != 2 || left[0].Event.EventID != "q-bad" || left[1].Event.EventID != "q-kind" {
		t.Errorf("after the release: %+v", left)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "central event quarantined") || strings.Contains(logs, "19800517") {
		t.Errorf("quarantine not logged, or logged with patient data")
	}
}

// suiteInboundVersionRules: what the central store accepted against a
// rule this version draws tighter (a length, a count, an age: a version's
// rule) is stored flagged with the fields, not refused; what breaks a rule
// of form is quarantined. Local input keeps the strict rules.
func suiteInboundVersionRules(t *testing.T, e *env) {
	long := func(n int) string { return strings.Repeat("å", n) }
	tests := []struct {
		name    string
		mod     func(*cases.Submission)
		relaxed []string // nil: quarantined
		field   string   // quarantined: the field
	}{
		{"text too long", func(s *cases.Submission) { s.Text = long(cases.MaxTextRunes + 1) }, []string{"text"}, ""},
		{"name too long", func(s *cases.Submission) { s.Patient.Name = long(cases.MaxNameRunes + 1) }, []string{"patient.name"}, ""},
		{"field value too long", func(s *cases.Submission) { s.Fields[0].Value = long(cases.MaxFieldRunes + 1) }, []string{"fields[0].value"}, ""},
		{"too many fields", func(s *cases.Submission) {
			for range cases.MaxFields {
				s.Fields = append(s.Fields, cases.Field{Name: "x", Label: "X", Value: "y"})
			}
		}, []string{"fields"}, ""},
		{"guardian for a 13-year-old", func(s *cases.Submission) {
			s.Patient.PNR = personnummer.Synthetic(s.SubmittedAt.AddDate(-13, 0, -1), 984)
			s.Guardian = &cases.Person{PNR: e.guardian, Name: "Förälder"}
		}, []string{"guardian"}, ""},
		{"empty", func(s *cases.Submission) { s.Text, s.Fields = "", nil }, []string{"text"}, ""},
		{"two limits", func(s *cases.Submission) {
			s.Text = long(cases.MaxTextRunes + 1)
			s.Patient.Name = long(cases.MaxNameRunes + 1)
		},
			[]string{"patient.name", "text"}, ""},
		{"control character", func(s *cases.Submission) { s.Text = "hej\x00" }, nil, "text"},
		{"long text with a control character", func(s *cases.Submission) { s.Text = long(cases.MaxTextRunes+1) + "\x07" }, nil, "text"},
		{"bad check digit", func(s *cases.Submission) { s.Patient.PNR = "19800517-9999" }, nil, "patient.pnr"},
		{"born after the time of record", func(s *cases.Submission) {
			s.Patient.PNR = personnummer.Synthetic(s.SubmittedAt.AddDate(0, 0, 2), 985)
		}, nil, "patient.pnr"},
		{"type not a service id", func(s *cases.Submission) { s.Type = "-teleport" }, nil, "type"},
		{"guardian is the patient", func(s *cases.Submission) { s.Guardian = &cases.Person{PNR: s.Patient.PNR, Name: "Samma"} }, nil, "guardian"},
	}
	for i, tt := range tests {
		sub := e.sub()
		tt.mod(&sub)
		id := e.newID()
		ev := cases.Inbound{Kind: cases.InboundCreated, EventID: fmt.Sprintf("v%d", i), CaseID: id, At: sub.SubmittedAt, Submission: &sub}
		rep := need(e.svc.ApplyInbound(e.ctx, []cases.Inbound{ev}, uint64(100+i)))(t)
		if tt.relaxed == nil {
			qs := need(e.svc.Quarantine(e.ctx))(t)
			if rep.Quarantined != 1 || len(qs) == 0 || qs[len(qs)-1].Event.EventID != ev.EventID || qs[len(qs)-1].Field != tt.field {
				t.Errorf("%s: report %+v, want it quarantined on field %q", tt.name, rep, tt.field)
			}
			continue
		}
		if rep.Applied != 1 || rep.Relaxed != 1 {
			t.Errorf("%s: report %+v, want it stored flagged", tt.name, rep)
			continue
		}
		c := need(e.svc.Get(e.ctx, dist, id))(t)
		if !slices.Equal(c.Relaxed, tt.relaxed) {
			t.Errorf("%s: relaxed %q, want %q", tt.name, c.Relaxed, tt.relaxed)
		}
		// The same submission made here is refused: local input is strict.
		if _, err := e.svc.Receive(e.ctx, sub); !errors.Is(err, cases.ErrInvalidInput) {
			t.Errorf("%s: Receive accepted it (%v); local input keeps the strict rules", tt.name, err)
		}
	}
	// A case that meets every rule carries no flag.
	sub := e.sub()
	id := e.newID()
	need(e.svc.ApplyInbound(e.ctx, []cases.Inbound{{Kind: cases.InboundCreated, EventID: "v-ok", CaseID: id, At: sub.SubmittedAt, Submission: &sub}}, 200))(t)
	if c := need(e.svc.Get(e.ctx, dist, id))(t); len(c.Relaxed) != 0 {
		t.Errorf("a case within every rule is flagged %q", c.Relaxed)
	}
}

// suiteInboundFollowUpTooLong: a patient's follow-up the central store
// accepted longer than this version allows is stored whole, the case
// flagged with the message; not quarantined.
func suiteInboundFollowUpTooLong(t *testing.T, e *env) {
	sub := e.sub()
	id := e.newID()
	long := strings.Repeat("ö", cases.MaxTextRunes+5)
	in := []cases.Inbound{
		{Kind: cases.InboundCreated, EventID: "l1", CaseID: id, At: sub.SubmittedAt, Submission: &sub},
		{Kind: cases.InboundFollowUp, EventID: "l2", CaseID: id, MessageID: string(e.newID()), Text: long, At: sub.SubmittedAt},
	}
	rep := need(e.svc.ApplyInbound(e.ctx, in, 2))(t)
	if rep.Applied != 2 || rep.Quarantined != 0 {
		t.Fatalf("report %+v, want both applied", rep)
	}
	c := need(e.svc.Get(e.ctx, dist, id))(t)
	if len(c.Messages) != 2 || c.Messages[1].Text != long || !slices.Equal(c.Relaxed, []string{"messages[1].text"}) {
		t.Errorf("follow-up of %d characters stored as %d, flag %q", len(long), len(c.Messages[len(c.Messages)-1].Text), c.Relaxed)
	}
	// A repeat delivery is a duplicate, not a conflict.
	if rep := need(e.svc.ApplyInbound(e.ctx, in, 2))(t); rep.Duplicates != 2 {
		t.Errorf("repeat: %+v", rep)
	}
}
