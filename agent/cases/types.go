package cases

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"clinicgw/sync/i18n"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/hsaid"
	"clinicgw/sync/wire/personnummer"
)

// MaxTextRunes bounds the text of one message, in characters.
const MaxTextRunes = 10000

// MaxTitleRunes bounds a staff author's title, in characters (the wire
// protocol's label limit is larger).
const MaxTitleRunes = 100

// Limits on what a submission may carry.
const (
	MaxNameRunes  = 200 // a patient's or guardian's name
	MaxFields     = 100 // answers on one form
	MaxFieldRunes = 4000
	MaxLabelRunes = 200 // a field's name or label
)

// Submission is a case as the patient sent it through the central store.
type Submission struct {
	ID          ID // optional: the central store's id; a repeat delivery with it is a no-op
	Type        casetype.Type
	Patient     Person
	Guardian    *Person // set when a guardian writes for a child under 13
	Fields      []Field
	Text        string
	SubmittedAt time.Time
	// FormVersion is the version of the service's form the patient wrote
	// on, as the central store sent it; 0 when it did not say (protocol
	// v1, an older central store): the case then records the current
	// version.
	FormVersion int
	// TextsChecked says that the texts (names, fields, text) already
	// passed the sync protocol's checks: the uplink sets it on every case
	// of a page the strict decoder (wire.Event's Validate) took, whose
	// text rule is wire.CheckText's and whose limits are no larger than
	// this package's (checked when this package compiles, below). An
	// inbound case's texts are then not checked again
	// (checkSubmission); anything else it says is. Not kept with a
	// quarantined event: a retry, perhaps by a later version, checks all.
	TextsChecked bool `json:"-"`
}

// What the sync protocol accepts of a case's texts, this package accepts
// too, so that TextsChecked may skip the second check: a negative
// constant here fails the build.
const (
	_ = uint(MaxTextRunes - wire.MaxTextLen)
	_ = uint(MaxNameRunes - wire.MaxNameLen)
	_ = uint(MaxLabelRunes - wire.MaxLabelLen)
	_ = uint(MaxLabelRunes - wire.MaxIDLen) // a field's name is a token of at most MaxIDLen ASCII characters
	_ = uint(MaxFieldRunes - wire.MaxFieldValueLen)
)

// ErrInvalidInput is wrapped by every *ValidationError.
var ErrInvalidInput = errors.New("invalid input")

// ValidationError is input the service refuses: a submission from the
// central store, a filter, a personnummer to look up. It names the field and
// the rule, never the value.
type ValidationError struct {
	Field  string // e.g. "patient.pnr", "guardian", "fields[3].value"
	Reason string // English
	sv     string // Swedish, for the UI
	// version marks a version's rule: a limit (a length, a count, an age)
	// that another clinicgw version, or the central store, may draw
	// elsewhere. What the central store accepted against such a rule is
	// stored here, flagged (Case.Relaxed), not refused.
	version bool
}

// VersionRule reports whether the rule refused is a version's rule: a
// limit another version may draw elsewhere, not a matter of form.
func (e *ValidationError) VersionRule() bool { return e.version }

// Error describes the problem in English.
func (e *ValidationError) Error() string { return "invalid " + e.Field + ": " + e.Reason }

// Unwrap returns ErrInvalidInput.
func (e *ValidationError) Unwrap() error { return ErrInvalidInput }

// Swedish describes the problem for the user, in Swedish.
func (e *ValidationError) Swedish() string {
	if e.sv != "" {
		return e.sv
	}
	return swedish("cases.in.invalid")
}

// swedish is the one catalogue's (sync/i18n's cases.*) text for key in
// Swedish, with args in place of its verbs: the words of a refusal.
func swedish(key string, args ...any) string { return i18n.T("sv", key, args...) }

func invalid(field, reason, sv string) error {
	return &ValidationError{Field: field, Reason: reason, sv: sv}
}

// versionRule is invalid for a version's rule.
func versionRule(field, reason, sv string) error {
	return &ValidationError{Field: field, Reason: reason, sv: sv, version: true}
}

// validateSubmission checks sub and puts its personnummer in the 12-digit
// form. Errors are *ValidationError and never carry the values. It is the
// strict check, for input made here.
func validateSubmission(sub *Submission, now time.Time) error {
	_, err := checkSubmission(sub, now, false, false)
	return err
}

// checkSubmission checks sub as validateSubmission does, judging dates of
// birth at ref. When lenient, a failure of a version's rule (a limit this
// clinicgw may hold tighter than the central store does: a length, a
// count, the guardian's ages; see ValidationError.VersionRule) does not
// refuse sub: its field is returned in relaxed and checking goes on.
// When textsChecked (Submission.TextsChecked), the text rules are not
// checked again: the sync protocol's are the same, with limits no larger.
func checkSubmission(sub *Submission, ref time.Time, lenient, textsChecked bool) (relaxed []string, err error) {
	// soft returns nil, noting the field, for a version's rule when lenient.
	soft := func(err error) error {
		if err == nil {
			return nil
		}
		if ve, ok := errors.AsType[*ValidationError](err); lenient && ok && ve.version {
			relaxed = append(relaxed, ve.Field)
			return nil
		}
		return err
	}
	if sub.ID != "" && !validID(sub.ID) {
		return nil, invalid("id", "not a valid case id", "")
	}
	if !casetype.Valid(sub.Type) {
		return nil, invalid("type", "not a known case type", swedish("cases.in.unknownType"))
	}
	if sub.SubmittedAt.IsZero() {
		return nil, invalid("submittedAt", "not set", "")
	}
	// textError, or none for texts already checked.
	textErr := textError
	if textsChecked {
		textErr = nil
	}
	if err := soft(checkPersonText("patient", &sub.Patient, ref, textErr)); err != nil {
		return nil, err
	}
	if g := sub.Guardian; g != nil {
		g2 := *g
		if err := soft(checkPersonText("guardian", &g2, ref, textErr)); err != nil {
			return nil, err
		}
		sub.Guardian = &g2
		var gerr error
		switch {
		case g2.PNR == sub.Patient.PNR:
			gerr = invalid("guardian", "is the patient", swedish("cases.in.guardianIsPatient"))
		case sub.Patient.PNR.AgeAt(sub.SubmittedAt) >= 13:
			gerr = versionRule("guardian", "the patient is 13 or older",
				swedish("cases.in.childTooOld"))
		case g2.PNR.AgeAt(sub.SubmittedAt) < 18:
			gerr = versionRule("guardian", "the guardian is under 18", swedish("cases.in.guardianTooYoung"))
		}
		if err := soft(gerr); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(sub.Text) == "" && len(sub.Fields) == 0 {
		if err := soft(versionRule("text", "the submission has neither text nor fields", swedish("cases.in.empty"))); err != nil {
			return nil, err
		}
	}
	if textErr != nil {
		if err := soft(textErr("text", sub.Text, MaxTextRunes, true)); err != nil {
			return nil, err
		}
	}
	if len(sub.Fields) > MaxFields {
		if err := soft(versionRule("fields", fmt.Sprintf("more than %d fields", MaxFields), "")); err != nil {
			return nil, err
		}
	}
	for i, f := range sub.Fields {
		for _, x := range [...]struct {
			name, value string
			max         int
			multiline   bool
		}{{"name", f.Name, MaxLabelRunes, false}, {"label", f.Label, MaxLabelRunes, false}, {"value", f.Value, MaxFieldRunes, true}} {
			if textsChecked {
				break
			}
			if err := soft(textError(fmt.Sprintf("fields[%d].%s", i, x.name), x.value, x.max, x.multiline)); err != nil {
				return nil, err
			}
		}
		if f.Name == "" {
			return nil, invalid(fmt.Sprintf("fields[%d].name", i), "empty", "")
		}
	}
	return slices.Compact(relaxed), nil
}

// textError returns wire.CheckText's finding as a *ValidationError for field, or
// nil. Only a length is a version's rule: text that is not valid UTF-8 or
// holds a control character is refused whatever the version.
func textError(field, s string, max int, multiline bool) error {
	r := wire.CheckText(s, max, multiline)
	if r == "" {
		return nil
	}
	if wire.CheckText(s, math.MaxInt, multiline) == "" {
		return versionRule(field, r, "")
	}
	return invalid(field, r, "")
}

// checkPerson validates a patient or guardian, normalising the number;
// a date of birth after ref is refused.
func checkPerson(field string, p *Person, ref time.Time) error {
	return checkPersonText(field, p, ref, textError)
}

// checkPersonText is checkPerson with the name's text rule checked by
// textErr; nil: not at all (already checked).
func checkPersonText(field string, p *Person, ref time.Time, textErr func(field, s string, max int, multiline bool) error) error {
	pnr, err := personnummer.Parse(string(p.PNR), ref)
	if err != nil {
		var pe *personnummer.Error
		if errors.As(err, &pe) {
			return invalid(field+".pnr", pe.Error(), pe.Swedish())
		}
		return invalid(field+".pnr", "not a valid personnummer", "")
	}
	p.PNR = pnr
	if strings.TrimSpace(p.Name) == "" {
		return invalid(field+".name", "empty", swedish("cases.in.noName"))
	}
	if textErr == nil {
		return nil
	}
	return textErr(field+".name", p.Name, MaxNameRunes, false)
}

// validID reports whether id is a case id as NewID writes it; ids from
// callers are checked before they reach a log or the access log.
func validID(id ID) bool {
	_, err := caseid.Parse(string(id))
	return err == nil
}

// Filter selects the cases List returns. Its conditions all apply; the
// zero Filter is every case of the unit, up to DefaultListLimit.
type Filter struct {
	Status   []Status      // any of these statuses; empty for any
	Assignee string        // the clinician's HSA-ID; "" for anyone
	Type     casetype.Type // "" for any
	Overdue  bool          // only open cases past their due date
	DueBy    time.Time     // only open cases due before this time; zero for any
	Limit    int           // 0 for DefaultListLimit; at most MaxListLimit
	// Newest lists the newest case first (by id, which is time of
	// arrival) instead of the oldest; lists by due date (Overdue, DueBy)
	// are earliest due first whatever it says.
	Newest bool
	// DueFirst lists the earliest due first, then the cases without a
	// due date (waiting for the patient, closed) oldest first; Newest is
	// then ignored (listDueFirst).
	DueFirst bool
	// After and Before page through a list: the page that follows the
	// case After, or the page that precedes the case Before, in the
	// list's order ("" for the first page; not both). A case id only, so
	// a page's address names no patient.
	After, Before ID
}

// check refuses a filter with unknown values.
func (f Filter) check() error {
	for _, st := range f.Status {
		if !slices.Contains(statuses, st) {
			return invalid("status", "not a known status", "")
		}
	}
	switch {
	case f.Assignee != "" && !hsaid.Valid(f.Assignee):
		return invalid("assignee", "not an HSA-ID", "")
	case f.Type != "" && !casetype.Valid(f.Type):
		return invalid("type", "not a known case type", swedish("cases.in.unknownType"))
	case f.Limit < 0 || f.Limit > MaxListLimit:
		return invalid("limit", fmt.Sprintf("not between 0 and %d", MaxListLimit), "")
	case f.After != "" && f.Before != "":
		return invalid("after", "not with before", "")
	case f.After != "" && !validID(f.After):
		return invalid("after", "not a case id", "")
	case f.Before != "" && !validID(f.Before):
		return invalid("before", "not a case id", "")
	}
	return nil
}

// statuses are all the statuses a stored case can have.
var statuses = []Status{Received, Assigned, PartiallyAnswered, WaitingForPatient, Answered, Closed, Withdrawn}

// Statuses returns every status a stored case can have, in workflow order.
func Statuses() []Status { return slices.Clone(statuses) }

// cloneCase returns a deep copy of c.
func cloneCase(c *Case) *Case {
	d := *c
	if c.Guardian != nil {
		g := *c.Guardian
		d.Guardian = &g
	}
	d.Fields = slices.Clone(c.Fields)
	d.Messages = slices.Clone(c.Messages)
	d.History = slices.Clone(c.History)
	d.Relaxed = slices.Clone(c.Relaxed)
	d.Refs = slices.Clone(c.Refs)
	return &d
}
