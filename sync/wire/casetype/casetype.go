package casetype

import (
	"clinicgw/sync/i18n"
	"clinicgw/sync/wire"
)

// Type is a case type: the id of a form the care unit publishes.
type Type string

// The case types of the e-services (the seeds' list).
const (
	BookAppointment     Type = "book-appointment"
	ChangeAppointment   Type = "change-appointment"
	CancelAppointment   Type = "cancel-appointment"
	RenewPrescription   Type = "renew-prescription"
	RenewSickLeave      Type = "renew-sick-leave"
	RecordExtract       Type = "record-extract"
	AdviceNurse         Type = "advice-nurse"
	AdvicePsychologist  Type = "advice-psychologist"
	ChangeFamilyDoctor  Type = "change-family-doctor"
	SymptomRegistration Type = "symptom-registration"
	ContactMe           Type = "contact-me"
)

// All lists every case type the unit's forms may carry, in display order.
var All = []Type{
	BookAppointment, ChangeAppointment, CancelAppointment,
	RenewPrescription, RenewSickLeave, RecordExtract,
	AdviceNurse, AdvicePsychologist, ChangeFamilyDoctor,
	SymptomRegistration, ContactMe,
}

// Valid reports whether t has a case type's syntax (a form id's,
// wire.ValidFormID): every service of a unit's catalogue
// (sync/wire/catalog), built in or made yesterday, is a case type.
func Valid(t Type) bool { return wire.ValidFormID(string(t)) }

// Known reports whether t is one of All.
func Known(t Type) bool {
	for _, x := range All {
		if x == t {
			return true
		}
	}
	return false
}

// Names returns case type t's name in Swedish and in English, from the
// one catalogue (sync/i18n's type.*: what staff see in lists and
// statistics and what patients see as the form's title, DefaultForms); ok
// is false for a type without names. sync/wire/labels shows them (Type,
// TypeText).
func Names(t Type) (sv, en string, ok bool) {
	key := "type." + string(t)
	if !i18n.Has(key) {
		return "", "", false
	}
	return i18n.T("sv", key), i18n.T("en", key), true
}
