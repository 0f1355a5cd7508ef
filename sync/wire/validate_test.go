package wire

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// rule is a change to a canonical value and whether the result is valid.
type rule struct {
	name string
	v    Body
	ok   bool
}

func checkRules(t *testing.T, rules []rule) {
	t.Helper()
	for _, r := range rules {
		err := r.v.Validate()
		switch {
		case r.ok && err != nil:
			t.Errorf("%s: %v", r.name, err)
		case !r.ok && err == nil:
			t.Errorf("%s: valid", r.name)
		case !r.ok:
			wantBadRequest(t, err)
		}
	}
}

func event(c func(*Event)) Body {
	p := canonicalInboxPage()
	c(&p.Events[0])
	return p
}

func TestValidateInbox(t *testing.T) {
	stockholm := time.FixedZone("CET", 3600)
	checkRules(t, []rule{
		{"canonical", canonicalInboxPage(), true},
		{"empty page", InboxPage{Cursor: 7}, true},
		{"empty page with more", InboxPage{Cursor: 7, More: true}, false},
		{"cursor not the last seq", func() Body { p := canonicalInboxPage(); p.Cursor = 45; return p }(), false},
		{"seqs not increasing", func() Body { p := canonicalInboxPage(); p.Events[1].Seq = 41; return p }(), false},
		{"duplicate event id", func() Body { p := canonicalInboxPage(); p.Events[1].ID = p.Events[0].ID; return p }(), false},
		{"seq 0", event(func(e *Event) { e.Seq = 0 }), false},
		{"no id", event(func(e *Event) { e.ID = "" }), false},
		{"id with space", event(func(e *Event) { e.ID = "ev 1" }), false},
		{"id with slash", event(func(e *Event) { e.ID = "ev/1" }), false},
		{"unknown kind", event(func(e *Event) { e.Kind = "case.deleted" }), false},
		{"kind in upper case", event(func(e *Event) { e.Kind = "CASE.CREATED" }), false},
		{"created without case", event(func(e *Event) { e.Case = nil }), false},
		{"created with message", event(func(e *Event) { e.Message = &PatientMessage{ID: "m", Text: "x"} }), false},
		{"followup without message", event(func(e *Event) { e.Kind = EventCaseFollowUp; e.Case = nil }), false},
		{"withdrawn with case", event(func(e *Event) { e.Kind = EventCaseWithdrawn }), false},
		{"case id upper case", event(func(e *Event) { e.CaseID = strings.ToUpper(caseID1) }), false},
		{"case id 25 chars", event(func(e *Event) { e.CaseID = caseID1[:25] }), false},
		{"case id 27 chars", event(func(e *Event) { e.CaseID = caseID1 + "0" }), false},
		{"case id with i", event(func(e *Event) { e.CaseID = "01jbq3z6m0a8vcs9fkd2x7gq4i" }), false},
		{"case id with u", event(func(e *Event) { e.CaseID = "01jbq3z6m0a8vcs9fkd2x7gq4u" }), false},
		{"case id starting 8", event(func(e *Event) { e.CaseID = "81jbq3z6m0a8vcs9fkd2x7gq4e" }), false},
		{"case id starting 7", event(func(e *Event) { e.CaseID = "71jbq3z6m0a8vcs9fkd2x7gq4e" }), true},
		{"zero time", event(func(e *Event) { e.At = time.Time{} }), false},
		{"time in 1999", event(func(e *Event) { e.At = time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC) }), false},
		{"time in 3000", event(func(e *Event) { e.At = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) }), false},
		{"time with offset", event(func(e *Event) { e.At = t0.In(stockholm) }), true},
		{"time with a seconds offset", event(func(e *Event) { e.At = t0.In(time.FixedZone("LMT", 4321)) }), false},
		{"time with a 24 h offset", event(func(e *Event) { e.At = t0.In(time.FixedZone("X", 24*3600)) }), false},
		{"no type", event(func(e *Event) { e.Case.Type = "" }), false},
		{"type upper case", event(func(e *Event) { e.Case.Type = "Renew" }), false},
		{"type starting with -", event(func(e *Event) { e.Case.Type = "-x" }), false},
		{"pnr 10 digits", event(func(e *Event) { e.Case.Patient.PNR = pnrAdult[2:] }), false},
		{"pnr with hyphen", event(func(e *Event) { e.Case.Patient.PNR = pnrAdult[:8] + "-" + pnrAdult[8:] }), false},
		{"pnr with letters", event(func(e *Event) { e.Case.Patient.PNR = "19800101980X" }), false},
		{"pnr with non-ASCII digits", event(func(e *Event) { e.Case.Patient.PNR = "١٩٨٠٠١٠١٩٨٠٤" }), false},
		{"pnr with wrong check digit (the gateway's job)", event(func(e *Event) { e.Case.Patient.PNR = "198001019805" }), true},
		{"blank name", event(func(e *Event) { e.Case.Patient.Name = "  " }), false},
		{"guardian is the patient", event(func(e *Event) { e.Case.Guardian = &Person{PNR: pnrAdult, Name: "X"} }), false},
		{"guardian without name", event(func(e *Event) { e.Case.Guardian = &Person{PNR: pnrAdult2} }), false},
		{"guardian", event(func(e *Event) { e.Case.Guardian = &Person{PNR: pnrAdult2, Name: "X"} }), true},
		{"neither text nor fields", event(func(e *Event) { e.Case.Text = ""; e.Case.Fields = nil }), false},
		{"blank text, no fields", event(func(e *Event) { e.Case.Text = " \n"; e.Case.Fields = nil }), false},
		{"fields only", event(func(e *Event) { e.Case.Text = "" }), true},
		{"empty fields list, text", event(func(e *Event) { e.Case.Fields = []Field{} }), true},
		{"duplicate field name", event(func(e *Event) { e.Case.Fields[1].Name = e.Case.Fields[0].Name }), false},
		{"field without label", event(func(e *Event) { e.Case.Fields[0].Label = "" }), false},
		{"field with empty value", event(func(e *Event) { e.Case.Fields[0].Value = "" }), true},
		{"follow-up without text", func() Body {
			p := canonicalInboxPage()
			p.Events[2].Message.Text = ""
			return p
		}(), false},
		{"follow-up without id", func() Body {
			p := canonicalInboxPage()
			p.Events[2].Message.ID = ""
			return p
		}(), false},
	})
}

func TestInboxPageFollows(t *testing.T) {
	p := canonicalInboxPage() // seqs 41..44
	tests := []struct {
		q  InboxQuery
		p  InboxPage
		ok bool
	}{
		{InboxQuery{After: 40, Limit: 4}, p, true},
		{InboxQuery{After: 40}, p, true},
		{InboxQuery{After: 0, Limit: 100}, p, true},
		{InboxQuery{After: 40, Limit: 3}, p, false},
		{InboxQuery{After: 41, Limit: 10}, p, false},
		{InboxQuery{After: 50, Limit: 10}, p, false},
		{InboxQuery{After: 7, Limit: 10}, InboxPage{Cursor: 7}, true},
		{InboxQuery{After: 7, Limit: 10}, InboxPage{Cursor: 6}, false},
		{InboxQuery{After: 7, Limit: 10}, InboxPage{Cursor: 8}, false},
	}
	for i, tc := range tests {
		err := tc.p.Follows(tc.q)
		if tc.ok != (err == nil) {
			t.Errorf("%d: Follows(%+v) = %v", i, tc.q, err)
		}
	}
}

func item(i int, c func(*OutboxItem)) Body {
	b := canonicalOutboxBatch()
	c(&b.Items[i])
	return b
}

func TestValidateOutbox(t *testing.T) {
	checkRules(t, []rule{
		{"canonical", canonicalOutboxBatch(), true},
		{"empty batch", OutboxBatch{}, false},
		{"empty items", OutboxBatch{Items: []OutboxItem{}}, false},
		{"duplicate key", item(1, func(it *OutboxItem) { it.IdempotencyKey = "out-1" }), false},
		{"key with space", item(0, func(it *OutboxItem) { it.IdempotencyKey = "a b" }), false},
		{"key with non-ASCII", item(0, func(it *OutboxItem) { it.IdempotencyKey = "nyckel-å" }), false},
		{"key of all allowed characters", item(0, func(it *OutboxItem) { it.IdempotencyKey = "AZaz09._-" }), true},
		{"unknown kind", item(0, func(it *OutboxItem) { it.Kind = "note" }), false},
		{"answer without message", item(0, func(it *OutboxItem) { it.Message = nil }), false},
		{"answer with status", item(0, func(it *OutboxItem) { it.Status = StatusAnswered }), false},
		{"partial answer", item(0, func(it *OutboxItem) { it.Kind = OutboxPartialAnswer }), true},
		{"status without status", item(2, func(it *OutboxItem) { it.Status = "" }), false},
		{"status with message", item(2, func(it *OutboxItem) { it.Message = &StaffMessage{ID: "m", Text: "x", AuthorTitle: "x"} }), false},
		{"unknown status", item(2, func(it *OutboxItem) { it.Status = "lost" }), false},
		{"every status", func() Body {
			var b OutboxBatch
			for i, s := range caseStatuses {
				b.Items = append(b.Items, OutboxItem{IdempotencyKey: string(rune('a' + i)), CaseID: caseID1, Kind: OutboxStatus, At: t0, Status: s})
			}
			return b
		}(), true},
		{"bad case id", item(0, func(it *OutboxItem) { it.CaseID = "x" }), false},
		{"zero time", item(0, func(it *OutboxItem) { it.At = time.Time{} }), false},
		{"message without id", item(0, func(it *OutboxItem) { it.Message.ID = "" }), false},
		{"message without text", item(0, func(it *OutboxItem) { it.Message.Text = "" }), false},
		{"message with blank text", item(0, func(it *OutboxItem) { it.Message.Text = "\n\t " }), false},
		{"message without title", item(0, func(it *OutboxItem) { it.Message.AuthorTitle = "" }), false},
		{"title is an HSA-ID", item(0, func(it *OutboxItem) { it.Message.AuthorTitle = "SE2321000016-1003" }), false},
		{"title holds an HSA-ID", item(0, func(it *OutboxItem) { it.Message.AuthorTitle = "Läkare se2321000016-abc1" }), false},
		{"title with digits", item(0, func(it *OutboxItem) { it.Message.AuthorTitle = "ST-läkare år 2" }), true},
		{"no signature", item(0, func(it *OutboxItem) { it.Message.Signature = "" }), true},
		{"initiated without case", item(3, func(it *OutboxItem) { it.Case = nil }), false},
		{"initiated without message", item(3, func(it *OutboxItem) { it.Message = nil }), false},
		{"initiated with status", item(3, func(it *OutboxItem) { it.Status = StatusWaitingForPatient }), false},
		{"answer with case", item(0, func(it *OutboxItem) { it.Case = &InitiatedCase{Type: "contact-me", PatientPNR: pnrAdult, Subject: "x"} }), false},
		{"status with case", item(2, func(it *OutboxItem) { it.Case = &InitiatedCase{Type: "contact-me", PatientPNR: pnrAdult, Subject: "x"} }), false},
		{"initiated without name", item(3, func(it *OutboxItem) { it.Case.PatientName = "" }), true},
		{"initiated, no reply", item(3, func(it *OutboxItem) { it.Case.ReplyAllowed = false }), true},
		{"initiated pnr of 10 digits", item(3, func(it *OutboxItem) { it.Case.PatientPNR = pnrAdult[2:] }), false},
		{"initiated pnr with hyphen", item(3, func(it *OutboxItem) { it.Case.PatientPNR = pnrAdult[:8] + "-" + pnrAdult[8:] }), false},
		{"initiated name of two lines", item(3, func(it *OutboxItem) { it.Case.PatientName = "Testa\nTestsson" }), false},
		{"initiated bad type", item(3, func(it *OutboxItem) { it.Case.Type = "Contact me" }), false},
		{"initiated without subject", item(3, func(it *OutboxItem) { it.Case.Subject = " " }), false},
		{"initiated subject too long", item(3, func(it *OutboxItem) { it.Case.Subject = strings.Repeat("å", MaxLabelLen+1) }), false},
		{"initiated subject at the limit", item(3, func(it *OutboxItem) { it.Case.Subject = strings.Repeat("å", MaxLabelLen) }), true},
		{"initiated subject with an HSA-ID", item(3, func(it *OutboxItem) { it.Case.Subject = "Från SE2321000016-1003" }), false},
		{"initiated author is an HSA-ID", item(3, func(it *OutboxItem) { it.Message.AuthorTitle = "SE2321000016-1003" }), false},
	})
}

func TestValidateOutboxResult(t *testing.T) {
	res := func(c func(*OutboxResult)) Body {
		r := canonicalOutboxResult()
		c(&r)
		return r
	}
	checkRules(t, []rule{
		{"canonical", canonicalOutboxResult(), true},
		{"empty", OutboxResult{}, false},
		{"duplicate key", res(func(r *OutboxResult) { r.Results[1].IdempotencyKey = "out-1" }), false},
		{"unknown status", res(func(r *OutboxResult) { r.Results[0].Status = "ok" }), false},
		{"rejected without problem", res(func(r *OutboxResult) { r.Results[2].Problem = nil }), false},
		{"accepted with problem", res(func(r *OutboxResult) { r.Results[0].Problem = Internal() }), false},
		{"invalid problem", res(func(r *OutboxResult) { r.Results[2].Problem = &Problem{Type: "has space"} }), false},
		{"problem without status", res(func(r *OutboxResult) { r.Results[2].Problem = &Problem{Type: "about:blank"} }), true},
	})
	b, r := canonicalOutboxBatch(), canonicalOutboxResult()
	if err := r.Matches(b); err != nil {
		t.Errorf("Matches: %v", err)
	}
	r.Results = r.Results[:2]
	if r.Matches(b) == nil {
		t.Error("Matches: a result short")
	}
	r = canonicalOutboxResult()
	r.Results[0], r.Results[1] = r.Results[1], r.Results[0]
	if r.Matches(b) == nil {
		t.Error("Matches: results out of order")
	}
}

func form(c func(*Form)) Body { return formsWith(c) }

func TestValidateForms(t *testing.T) {
	checkRules(t, []rule{
		{"canonical", canonicalFormSet(), true},
		{"no forms", FormSet{}, true},
		{"duplicate form id", func() Body { s := canonicalFormSet(); s.Forms[1].ID = s.Forms[0].ID; return s }(), false},
		{"version 0", form(func(f *Form) { f.Version = 0 }), false},
		{"no title", form(func(f *Form) { f.Title = Text{} }), false},
		{"English title only", form(func(f *Form) { f.Title = Text{EN: "Renew"} }), false},
		{"English intro only", form(func(f *Form) { f.Intro = Text{EN: "Hello"} }), false},
		{"title on two lines", form(func(f *Form) { f.Title.SV = "a\nb" }), false},
		{"no fields", form(func(f *Form) { f.Fields = nil }), true},
		{"duplicate field name", form(func(f *Form) { f.Fields[1].Name = f.Fields[0].Name }), false},
		{"unknown kind", form(func(f *Form) { f.Fields[0].Kind = "file" }), false},
		{"field without label", form(func(f *Form) { f.Fields[0].Label = Text{} }), false},
		{"text with options", form(func(f *Form) { f.Fields[0].Options = []Option{{Value: "a", Label: Text{SV: "a"}}} }), false},
		{"checkbox with options", form(func(f *Form) {
			f.Fields[0].Kind = FieldCheckbox
			f.Fields[0].Options = []Option{{Value: "a", Label: Text{SV: "a"}}}
		}), false},
		{"select without options", form(func(f *Form) { f.Fields[1].Options = nil }), false},
		{"radio with options", form(func(f *Form) { f.Fields[1].Kind = FieldRadio }), true},
		{"duplicate option value", form(func(f *Form) { f.Fields[1].Options[1].Value = "any" }), false},
		{"option without label", form(func(f *Form) { f.Fields[1].Options[0].Label = Text{} }), false},
		{"option value with space", form(func(f *Form) { f.Fields[1].Options[0].Value = "a b" }), false},
		{"showIf to a later field", form(func(f *Form) { f.Fields[0].ShowIf = &Condition{Field: "pharmacy", Equals: "named"} }), false},
		{"showIf to itself", form(func(f *Form) { f.Fields[1].ShowIf = &Condition{Field: "pharmacy", Equals: "named"} }), false},
		{"showIf to a text field", form(func(f *Form) { f.Fields[2].ShowIf = &Condition{Field: "medicine", Equals: "x"} }), false},
		{"showIf to an unknown field", form(func(f *Form) { f.Fields[2].ShowIf.Field = "nothing" }), false},
		{"showIf to an unknown value", form(func(f *Form) { f.Fields[2].ShowIf.Equals = "other" }), false},
		{"showIf with empty value", form(func(f *Form) { f.Fields[2].ShowIf.Equals = "" }), false},
		{"showIf on a checkbox, yes", func() Body {
			s := canonicalFormSet()
			s.Forms[1].Fields[1].ShowIf.Equals = "yes"
			return s
		}(), false},
		{"showIf on a checkbox, false", func() Body {
			s := canonicalFormSet()
			s.Forms[1].Fields[1].ShowIf.Equals = "false"
			return s
		}(), true},
		{"help on two lines", form(func(f *Form) { f.Fields[0].Help = Text{SV: "a\nb", EN: "c\nd"} }), true},
	})
}

func TestValidateStreamAndProblem(t *testing.T) {
	checkRules(t, []rule{
		{"hello at 0", StreamMessage{Type: StreamHello}, true},
		{"hello at 9", StreamMessage{Type: StreamHello, Seq: 9}, true},
		{"events at 0", StreamMessage{Type: StreamEvents}, false},
		{"booking at 0", StreamMessage{Type: StreamBooking}, true},
		{"unknown type", StreamMessage{Type: "ping", Seq: 1}, false},
		{"no type", StreamMessage{Seq: 1}, false},
		{"ack 0", Ack{}, false},
		{"ack 1", Ack{Cursor: 1}, true},
		{"problem", *BadRequest("x"), true},
		{"problem without type", Problem{Title: "x"}, false},
		{"problem status 200", Problem{Type: "about:blank", Status: 200}, false},
		{"problem status 600", Problem{Type: "about:blank", Status: 600}, false},
		{"problem relative type", Problem{Type: "/problems/x"}, true},
		{"problem type with space", Problem{Type: "urn:a b"}, false},
		{"problem type non-ASCII", Problem{Type: "urn:å"}, false},
		{"problem detail on two lines", Problem{Type: "about:blank", Detail: "a\nb"}, true},
	})
	for _, typ := range problemTypes {
		if !strings.HasPrefix(typ, "urn:clinicgw:problem:") {
			t.Errorf("problem type %q is not under urn:clinicgw:problem:", typ)
		}
	}
	if len(constructedProblems()) != len(problemTypes) {
		t.Errorf("%d constructors for %d problem types", len(constructedProblems()), len(problemTypes))
	}
	for _, p := range constructedProblems() {
		if err := p.Validate(); err != nil || p.Status < 400 || p.Title == "" {
			t.Errorf("%s: %v", p.Type, err)
		}
		if !slices.Contains(problemTypes, p.Type) {
			t.Errorf("%s is not in problemTypes", p.Type)
		}
	}
}

// TestEnums checks that each Valid method accepts its listed values and
// nothing else nearby.
func TestEnums(t *testing.T) {
	for _, k := range eventKinds {
		if !k.Valid() || EventKind(strings.ToUpper(string(k))).Valid() {
			t.Errorf("EventKind %q", k)
		}
	}
	for _, k := range outboxKinds {
		if !k.Valid() || OutboxKind(string(k)+" ").Valid() {
			t.Errorf("OutboxKind %q", k)
		}
	}
	for _, k := range caseStatuses {
		if !k.Valid() {
			t.Errorf("CaseStatus %q", k)
		}
	}
	for _, k := range itemStatuses {
		if !k.Valid() {
			t.Errorf("ItemStatus %q", k)
		}
	}
	for _, k := range fieldKinds {
		if !k.Valid() {
			t.Errorf("FieldKind %q", k)
		}
	}
	for _, k := range streamTypes {
		if !k.Valid() {
			t.Errorf("StreamType %q", k)
		}
	}
	if EventKind("").Valid() || CaseStatus("").Valid() || ItemStatus("").Valid() || FieldKind("").Valid() || StreamType("").Valid() || OutboxKind("").Valid() {
		t.Error("an empty enum value is valid")
	}
}

// constructedProblems returns one problem from each constructor, one per
// problem type.
func constructedProblems() []*Problem {
	return []*Problem{BadRequest("x"), BodyTooLarge(5), Unauthorized(), UnsupportedMediaType(), UnsupportedVersion(), NotFound("x"),
		MethodNotAllowed(), Conflict("x"), Forbidden("x"), RateLimited(), Internal(), Unavailable(), SealingKeyUnknown("x")}
}
