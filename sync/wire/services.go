package wire

import "io"

// Protocol v2 carries a unit's catalogue of services (PUT PathServices2):
// every offered service's form with its answer rule, so that the patient
// pages can say how soon the unit answers. The forms are the same Forms
// as PathForms carries, under the same rule (a published id and version
// never name other content), and a central store that takes a ServiceSet
// answers GET PathForms with its forms (ServiceSet.Forms). A central store
// that does not serve PathServices2 (it answers 404) keeps getting the
// form set on PathForms2: the gateway sends it the forms of the case types
// protocol v1 named (see sync/wire/casetype).

// PathServices2 is the unit's published services: PUT ServiceSet → 204,
// GET → 200 ServiceSet.
const PathServices2 = "/" + Version2 + "/services"

// Answer rules, in working days after the day of receipt.
const (
	// DefaultAnswerDays is the answer rule of the e-services: two working
	// days. A service may set a shorter one; a longer one only with an
	// AnswerNote the patient reads.
	DefaultAnswerDays = 2
	// MaxAnswerDays bounds a service's answer rule.
	MaxAnswerDays = 30
)

// ServiceSet is the body of PUT PathServices2 and the answer to GET: the
// unit's offered services, at most MaxForms, with distinct form ids. A
// PUT replaces the whole set.
type ServiceSet struct {
	Services []PublishedService `json:"services"` // at most MaxForms, distinct form ids
}

// PublishedService is one offered service: its form and its answer rule.
type PublishedService struct {
	// Form is the service's form; its ID is the service's id, the case
	// type of the cases written on it.
	Form Form `json:"form"`
	// AnswerDays is the unit's answer rule for the service: it answers
	// within this many working days after the day of receipt
	// (1..MaxAnswerDays).
	AnswerDays int `json:"answerDays"`
	// AnswerNote tells the patient why the answer takes longer than
	// DefaultAnswerDays; required (Swedish) exactly then (line breaks
	// allowed).
	AnswerNote Text `json:"answerNote,omitzero"`
}

// MarshalJSON writes a nil Services list as [] so that the body always
// has the array the schema requires.
func (s ServiceSet) MarshalJSON() ([]byte, error) {
	type plain ServiceSet
	q := plain(s)
	if q.Services == nil {
		q.Services = []PublishedService{}
	}
	return marshalPlain(q)
}

// Forms is the set's forms as a FormSet, in order.
func (s ServiceSet) Forms() FormSet {
	set := FormSet{Forms: make([]Form, 0, len(s.Services))}
	for _, p := range s.Services {
		set.Forms = append(set.Forms, p.Form)
	}
	return set
}

// Validate checks a service set: at most MaxForms services, each valid
// (PublishedService.Validate), with distinct form ids.
func (s ServiceSet) Validate() error { return invalid(s.check()) }

func (s ServiceSet) check() error {
	if len(s.Services) > MaxForms {
		return failf("services", "has more than %d services", MaxForms)
	}
	ids := make(map[string]bool, len(s.Services))
	for i, p := range s.Services {
		path := index("services", i)
		if err := p.check(path); err != nil {
			return err
		}
		if ids[p.Form.ID] {
			return fail(member(member(path, "form"), "id"), "repeats an earlier service's id")
		}
		ids[p.Form.ID] = true
	}
	return nil
}

// Validate checks a published service: its form (Form.Validate), its
// answer rule 1..MaxAnswerDays, and its note, required exactly when the
// rule is longer than DefaultAnswerDays.
func (p PublishedService) Validate() error { return invalid(p.check("")) }

func (p PublishedService) check(path string) error {
	if err := p.Form.check(member(path, "form")); err != nil {
		return err
	}
	if p.AnswerDays < 1 || p.AnswerDays > MaxAnswerDays {
		return failf(member(path, "answerDays"), "must be between 1 and %d", MaxAnswerDays)
	}
	long := p.AnswerDays > DefaultAnswerDays
	if err := p.AnswerNote.check(member(path, "answerNote"), MaxHelpLen, long, true); err != nil {
		return err
	}
	if !long && p.AnswerNote != (Text{}) {
		return failf(member(path, "answerNote"), "only a rule longer than %d working days has a note", DefaultAnswerDays)
	}
	return nil
}

// DecodeServiceSet reads a ServiceSet (the server from PUT PathServices2,
// the gateway from GET) within MaxBodyBytes and validates it.
func DecodeServiceSet(r io.Reader) (ServiceSet, error) { return decodeBody[ServiceSet](r) }

// ValidFormID reports whether s has a form id's syntax (Form.ID): the
// syntax of a case type and of a service's id.
func ValidFormID(s string) bool { return checkTypeName("", s) == nil }
