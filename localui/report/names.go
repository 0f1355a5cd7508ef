package report

import "clinicgw/agent/cases"

var typeNames = map[cases.Type][2]string{
	cases.BookAppointment:     {"Boka tid", "Book an appointment"},
	cases.ChangeAppointment:   {"Ändra tid", "Change an appointment"},
	cases.CancelAppointment:   {"Avboka tid", "Cancel an appointment"},
	cases.RenewPrescription:   {"Förnya recept", "Renew a prescription"},
	cases.RenewSickLeave:      {"Förlänga sjukskrivning", "Renew sick leave"},
	cases.RecordExtract:       {"Begära journalkopia", "Request a record extract"},
	cases.AdviceNurse:         {"Rådgivning sjuksköterska", "Advice from a nurse"},
	cases.AdvicePsychologist:  {"Rådgivning psykolog", "Advice from a psychologist"},
	cases.ChangeFamilyDoctor:  {"Byta fast läkare", "Change family doctor"},
	cases.SymptomRegistration: {"Registrera symtom", "Register symptoms"},
	cases.ContactMe:           {"Kontakta mig", "Contact me"},
}

var statusNames = map[cases.Status][2]string{
	cases.Received:          {"Ny", "New"},
	cases.Assigned:          {"Tilldelad", "Assigned"},
	cases.PartiallyAnswered: {"Delsvar skickat", "Partially answered"},
	cases.WaitingForPatient: {"Väntar på patienten", "Waiting for the patient"},
	cases.Answered:          {"Besvarad", "Answered"},
	cases.Closed:            {"Avslutad", "Closed"},
	cases.Withdrawn:         {"Återkallad", "Withdrawn"},
}

// Statuses are the case statuses in the order reports show them.
var Statuses = []cases.Status{cases.Received, cases.Assigned, cases.PartiallyAnswered,
	cases.WaitingForPatient, cases.Answered, cases.Closed, cases.Withdrawn}

func pick(n [2]string, lang string, fallback string) string {
	switch {
	case lang == "en" && n[1] != "":
		return n[1]
	case n[0] != "":
		return n[0]
	}
	return fallback
}

// TypeName is a case type's name in lang ("sv", the default, or "en").
func TypeName(t cases.Type, lang string) string { return pick(typeNames[t], lang, string(t)) }

// StatusName is a case status's name in lang ("sv", the default, or "en").
func StatusName(s cases.Status, lang string) string { return pick(statusNames[s], lang, string(s)) }
