package central

import (
	"errors"
	"strings"
	"testing"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
)

// TestSubmitRules is the table of what Submit refuses; each refusal leaves
// the store unchanged and says in Swedish what to do.
func TestSubmitRules(t *testing.T) {
	e := newEnv(t)
	ok := func() Submission {
		return Submission{PatientPNR: adultPNR, PatientName: adultName, FormID: string(casetype.SymptomRegistration),
			Fields: []wire.Field{{Name: "symptoms", Value: "Hosta"}}}
	}
	for _, tc := range []struct {
		name   string
		unit   string
		change func(*Submission)
		want   error  // errors.Is, or nil for an *InputError
		field  string // the *InputError's Field
	}{
		{"unknown unit", unitC, func(s *Submission) {}, ErrUnknownUnit, ""},
		{"unknown form", unitA, func(s *Submission) { s.FormID = "no-such-form" }, ErrUnknownForm, ""},
		{"bad personnummer", unitA, func(s *Submission) { s.PatientPNR = "19800517" }, nil, "patientPnr"},
		{"no name", unitA, func(s *Submission) { s.PatientName = "  " }, nil, "patientName"},
		{"name with a line break", unitA, func(s *Submission) { s.PatientName = "a\nb" }, nil, "patientName"},
		{"required field missing", unitA, func(s *Submission) { s.Fields = nil }, nil, "fields.symptoms"},
		{"required field blank", unitA, func(s *Submission) { s.Fields[0].Value = " \n " }, nil, "fields.symptoms"},
		{"conditional required field", unitA, func(s *Submission) {
			s.Fields = append(s.Fields, wire.Field{Name: "fever", Value: "true"})
		}, nil, "fields.temperature"},
		{"bad checkbox", unitA, func(s *Submission) {
			s.Fields = append(s.Fields, wire.Field{Name: "fever", Value: "ja"})
		}, nil, "fields.fever"},
		{"bad date", unitA, func(s *Submission) {
			s.Fields = append(s.Fields, wire.Field{Name: "since", Value: "igår"})
		}, nil, "fields.since"},
		{"unknown field", unitA, func(s *Submission) {
			s.Fields = append(s.Fields, wire.Field{Name: "diagnosis", Value: "x"})
		}, nil, "fields"},
		{"field twice", unitA, func(s *Submission) { s.Fields = append(s.Fields, s.Fields[0]) }, nil, "fields.symptoms"},
		{"bad option", unitA, func(s *Submission) {
			s.FormID = string(casetype.AdviceNurse)
			s.Fields = []wire.Field{{Name: "question", Value: "x"}, {Name: "since", Value: "years"}}
		}, nil, "fields.since"},
		{"text too long", unitA, func(s *Submission) { s.Text = strings.Repeat("å", wire.MaxTextLen+1) }, nil, "text"},
		{"text with a control character", unitA, func(s *Submission) { s.Text = "a\x00b" }, nil, "text"},
		{"guardian for a 16-year-old", unitA, func(s *Submission) {
			s.PatientPNR, s.PatientName, s.GuardianPNR, s.GuardianName = teenPNR, "Tonåring", adultPNR, adultName
		}, nil, "guardian"},
		{"guardian who is a child", unitA, func(s *Submission) {
			s.PatientPNR, s.PatientName, s.GuardianPNR, s.GuardianName = childPNR, childName, teenPNR, "Tonåring"
		}, nil, "guardian"},
		{"guardian is the patient", unitA, func(s *Submission) {
			s.PatientPNR, s.PatientName, s.GuardianPNR, s.GuardianName = childPNR, childName, childPNR, childName
		}, nil, "guardian"},
		{"guardian on a form without", unitA, func(s *Submission) {
			s.FormID = string(casetype.RenewSickLeave)
			s.Fields = []wire.Field{{Name: "until", Value: "2026-04-01"}, {Name: "work", Value: "Snickare"}}
			s.PatientPNR, s.PatientName, s.GuardianPNR, s.GuardianName = childPNR, childName, adultPNR, adultName
		}, nil, "guardian"},
	} {
		before := e.dump()
		sub := ok()
		tc.change(&sub)
		_, err := e.store.Submit(e.ctx, tc.unit, sub)
		if tc.want != nil {
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
		} else {
			ie, isInput := errors.AsType[*InputError](err)
			if !isInput || ie.Field != tc.field || ie.Swedish == "" {
				t.Errorf("%s: %v, want an input error for %s", tc.name, err, tc.field)
			} else if strings.Contains(ie.Error(), adultPNR) || strings.Contains(ie.Swedish, adultPNR) {
				t.Errorf("%s: the error names the personnummer", tc.name)
			}
		}
		if after := e.dump(); after != before {
			t.Errorf("%s: a refused submission changed the store", tc.name)
		}
	}

	// The accepted form: answers in form order, labels from the form,
	// a hidden conditional field dropped, an unticked checkbox "false".
	sub := ok()
	sub.Fields = []wire.Field{{Name: "temperature", Value: "39"}, {Name: "since", Value: "2026-02-28"}, {Name: "symptoms", Value: "Hosta"}}
	id, err := e.store.Submit(e.ctx, unitA, sub)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := e.store.PatientCase(e.ctx, adultPNR, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range pc.Fields {
		got = append(got, f.Name+"="+f.Value)
	}
	if strings.Join(got, " ") != "symptoms=Hosta since=2026-02-28 fever=false" || pc.Fields[0].Label != "Vilka symtom har du?" {
		t.Errorf("stored answers %v", pc.Fields)
	}
	if _, err := caseid.Parse(id); err != nil {
		t.Errorf("case id %q: %v", id, err)
	}
}

func TestPatientActionsRules(t *testing.T) {
	e := newEnv(t)
	id := e.submit(unitA, "Regler.")
	if err := e.store.FollowUp(e.ctx, otherPNR, id, "Intrång"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a stranger's follow-up: %v", err)
	}
	if err := e.store.Withdraw(e.ctx, otherPNR, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("a stranger's withdrawal: %v", err)
	}
	if _, err := e.store.PatientCase(e.ctx, adultPNR, "not-an-id"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a malformed id: %v", err)
	}
	if list, _ := e.store.PatientCases(e.ctx, otherPNR); len(list) != 0 {
		t.Errorf("a stranger lists %d cases", len(list))
	}
	e.outbox(unitA, answer("r-1", id, "Svar."))
	if err := e.store.Withdraw(e.ctx, adultPNR, id); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("withdrawing an answered case: %v", err)
	}
	// A follow-up on an answered case reopens it, as the gateway does.
	if err := e.store.FollowUp(e.ctx, adultPNR, id, "En fråga till."); err != nil {
		t.Fatal(err)
	}
	if pc, _ := e.store.PatientCase(e.ctx, adultPNR, id); pc.Status != wire.StatusReceived {
		t.Errorf("after a follow-up on an answered case: %s", pc.Status)
	}
	if err := e.store.Withdraw(e.ctx, adultPNR, id); err != nil {
		t.Fatal(err)
	}
	before := e.dump()
	if err := e.store.FollowUp(e.ctx, adultPNR, id, "Efter återkallandet."); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("a follow-up on a withdrawn case: %v", err)
	}
	// A late answer still reaches the thread; the case stays withdrawn.
	e.outbox(unitA, answer("r-2", id, "Sent svar."))
	pc, _ := e.store.PatientCase(e.ctx, adultPNR, id)
	if pc.Status != wire.StatusWithdrawn || pc.Messages[len(pc.Messages)-1].Text != "Sent svar." {
		t.Errorf("late answer: %s %+v", pc.Status, pc.Messages)
	}
	if e.dump() == before {
		t.Error("the late answer was not stored")
	}
	list, _ := e.store.PatientCases(e.ctx, adultPNR)
	if len(list) != 1 || list[0].ID != id {
		t.Errorf("list %+v", list)
	}
}
