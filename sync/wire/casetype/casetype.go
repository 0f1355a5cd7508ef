package casetype

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

// Known reports whether t is one of All.
func Known(t Type) bool {
	for _, x := range All {
		if x == t {
			return true
		}
	}
	return false
}

// typeNames are the case types' names, Swedish then English: what staff
// see in lists and statistics and what patients see as the form's title
// (DefaultForms).
var typeNames = map[Type][2]string{
	BookAppointment:     {"Boka tid", "Book an appointment"},
	ChangeAppointment:   {"Ändra tid", "Change an appointment"},
	CancelAppointment:   {"Avboka tid", "Cancel an appointment"},
	RenewPrescription:   {"Förnya recept", "Renew a prescription"},
	RenewSickLeave:      {"Förlänga sjukskrivning", "Extend sick leave"},
	RecordExtract:       {"Begära journalkopia", "Request a copy of the record"},
	AdviceNurse:         {"Rådgivning sjuksköterska", "Advice from a nurse"},
	AdvicePsychologist:  {"Rådgivning psykolog", "Advice from a psychologist"},
	ChangeFamilyDoctor:  {"Byta fast läkare", "Change family doctor"},
	SymptomRegistration: {"Registrera symtom", "Register symptoms"},
	ContactMe:           {"Kontakta mig", "Contact me"},
}

// Names returns case type t's name in Swedish and in English; ok is false
// for a type without names. sync/wire/labels shows them (Type, TypeText).
func Names(t Type) (sv, en string, ok bool) {
	n, ok := typeNames[t]
	return n[0], n[1], ok
}
