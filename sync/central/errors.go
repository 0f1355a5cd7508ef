package central

import "errors"

// Errors the patient operations return; match with errors.Is.
var (
	// ErrNotFound: no such case, or not one of this person's cases. The two
	// are not told apart.
	ErrNotFound = errors.New("central: no such case for this person")
	// ErrUnknownUnit: the store does not serve the care unit.
	ErrUnknownUnit = errors.New("central: not a care unit this store serves")
	// ErrUnknownForm: the care unit has no such form.
	ErrUnknownForm = errors.New("central: the care unit has no such form")
	// ErrNotAllowed: the case's status does not allow the action (a
	// follow-up in a withdrawn case, withdrawing an answered one).
	ErrNotAllowed = errors.New("central: the case's status does not allow this")
)

// InputError is a submission or message the store refuses. It names the
// field and the rule, never the value, so it is safe to log; Swedish says
// what is wrong and what to do, for the patient.
type InputError struct {
	Field   string // e.g. "patientPnr", "fields.symptom", "text"
	Reason  string // English, without the value
	Swedish string // for the patient pages
}

// Error describes the problem in English.
func (e *InputError) Error() string { return "central: invalid " + e.Field + ": " + e.Reason }

func inputError(field, reason, sv string) error {
	return &InputError{Field: field, Reason: reason, Swedish: sv}
}
