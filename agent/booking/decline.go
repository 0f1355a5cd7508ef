package booking

import (
	"errors"

	"clinicgw/sync/i18n"
)

// Code is why the authority declined a request.
type Code string

// The declines. Each has a text "booking.declined.<code>" in sync/i18n.
const (
	Taken          Code = "taken"          // someone else has or holds the time
	Released       Code = "released"       // released to staff: no longer bookable online
	TooLate        Code = "tooLate"        // past the type's rebook or cancel deadline
	NotFound       Code = "notFound"       // no such time
	InPast         Code = "inPast"         // the time has begun or passed
	WrongType      Code = "wrongType"      // a rebook to another type of time
	WrongClinician Code = "wrongClinician" // a rebook to another clinician
	WrongLength    Code = "wrongLength"    // a rebook to another length
	HoldExpired    Code = "holdExpired"    // the patient's hold ran out (or is not theirs)
	NotAllowed     Code = "notAllowed"     // the type does not allow this (rebook, cancel)
	StaffOnly      Code = "staffOnly"      // the type is not bookable online
	NotBooked      Code = "notBooked"      // nothing booked to rebook, cancel or mark
	NotYours       Code = "notYours"       // a patient's request about another's booking
	ReasonRequired Code = "reasonRequired" // staff cancel with a reason
	NotYet         Code = "notYet"         // arrived before the day, no-show before the start
	BadRequest     Code = "badRequest"     // the request itself is malformed
)

// Codes are every decline, for the texts' test.
var Codes = []Code{Taken, Released, TooLate, NotFound, InPast, WrongType, WrongClinician, WrongLength,
	HoldExpired, NotAllowed, StaffOnly, NotBooked, NotYours, ReasonRequired, NotYet, BadRequest}

// Decline is a refused request; nothing was changed.
type Decline struct{ Code Code }

func (d *Decline) Error() string { return "booking declined: " + string(d.Code) }

// Key is the message's key in sync/i18n.
func (d *Decline) Key() string { return "booking.declined." + string(d.Code) }

// Message is what the person is told, in lang ("sv" or "en").
func (d *Decline) Message(lang string) string { return i18n.T(lang, d.Key()) }

func decline(c Code) error { return &Decline{Code: c} }

// DeclineOf returns the decline in err, if it is one.
func DeclineOf(err error) (*Decline, bool) {
	var d *Decline
	ok := errors.As(err, &d)
	return d, ok
}
