package labels

import (
	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
)

// name is a code's name in Swedish and English.
type name [2]string

// in returns n in lang: English for "en", Swedish for anything else.
func (n name) in(lang string) string {
	if lang == "en" && n[1] != "" {
		return n[1]
	}
	return n[0]
}

// lookup returns the name of code in lang, or the code marked as unknown.
func lookup[K ~string](m map[K]name, code K, lang string) string {
	if n, ok := m[code]; ok {
		return n.in(lang)
	}
	return Unknown(string(code), lang)
}

// Unknown is a code no table names, as it is shown: the code itself,
// marked, so that it is never taken for a word.
func Unknown(code, lang string) string {
	if lang == "en" {
		return "unknown code “" + code + "”"
	}
	return "okänd kod ”" + code + "”"
}

// typeNames are the case types' names: what staff see in lists and
// statistics and what patients see as the form's title (DefaultForms).
var typeNames = map[cases.Type]name{
	cases.BookAppointment:     {"Boka tid", "Book an appointment"},
	cases.ChangeAppointment:   {"Ändra tid", "Change an appointment"},
	cases.CancelAppointment:   {"Avboka tid", "Cancel an appointment"},
	cases.RenewPrescription:   {"Förnya recept", "Renew a prescription"},
	cases.RenewSickLeave:      {"Förlänga sjukskrivning", "Extend sick leave"},
	cases.RecordExtract:       {"Begära journalkopia", "Request a copy of the record"},
	cases.AdviceNurse:         {"Rådgivning sjuksköterska", "Advice from a nurse"},
	cases.AdvicePsychologist:  {"Rådgivning psykolog", "Advice from a psychologist"},
	cases.ChangeFamilyDoctor:  {"Byta fast läkare", "Change family doctor"},
	cases.SymptomRegistration: {"Registrera symtom", "Register symptoms"},
	cases.ContactMe:           {"Kontakta mig", "Contact me"},
}

// Type is case type t's name in lang.
func Type(t cases.Type, lang string) string { return lookup(typeNames, t, lang) }

// TypeText is case type t's name in both languages, as a form's title.
func TypeText(t cases.Type) wire.Text {
	return wire.Text{SV: Type(t, "sv"), EN: Type(t, "en")}
}

// statusNames are the statuses as staff read them.
var statusNames = map[cases.Status]name{
	cases.Received:          {"Ny", "New"},
	cases.Assigned:          {"Tilldelad", "Assigned"},
	cases.PartiallyAnswered: {"Delsvar skickat", "Partial answer sent"},
	cases.WaitingForPatient: {"Väntar på patienten", "Waiting for the patient"},
	cases.Answered:          {"Besvarad", "Answered"},
	cases.Closed:            {"Avslutad", "Closed"},
	cases.Withdrawn:         {"Återkallad", "Withdrawn"},
}

// Status is status s as staff read it, in lang.
func Status(s cases.Status, lang string) string { return lookup(statusNames, s, lang) }

// patientStatusNames are the statuses as the patient reads them.
var patientStatusNames = map[wire.CaseStatus]name{
	wire.StatusReceived:          {"Mottaget", "Received"},
	wire.StatusAssigned:          {"Under handläggning", "Being handled"},
	wire.StatusPartiallyAnswered: {"Delvis besvarat", "Partly answered"},
	wire.StatusWaitingForPatient: {"Väntar på ditt svar", "Waiting for your reply"},
	wire.StatusAnswered:          {"Besvarat", "Answered"},
	wire.StatusClosed:            {"Avslutat", "Closed"},
	wire.StatusWithdrawn:         {"Återkallat", "Withdrawn"},
}

// PatientStatus is status s as the patient reads it, in lang.
func PatientStatus(s wire.CaseStatus, lang string) string {
	return lookup(patientStatusNames, s, lang)
}

// actionNames are the actions as the case history and the access log
// show them: what happened.
var actionNames = map[cases.Action]name{
	cases.Receive:            {"Inkom", "Received"},
	cases.Initiate:           {"Startades av vårdenheten", "Started by the unit"},
	cases.Assign:             {"Tilldelades", "Assigned"},
	cases.Reassign:           {"Flyttades", "Moved"},
	cases.TakeBack:           {"Togs tillbaka", "Taken back"},
	cases.HandBack:           {"Lämnades tillbaka", "Handed back"},
	cases.SendPartial:        {"Delsvar skickades", "Partial answer sent"},
	cases.SendCounter:        {"Motfråga skickades", "Counter-question sent"},
	cases.SendAnswer:         {"Besvarades", "Answered"},
	cases.Close:              {"Avslutades", "Closed"},
	cases.Withdraw:           {"Återkallades av patienten", "Withdrawn by the patient"},
	cases.FollowUp:           {"Patienten skrev igen", "The patient wrote again"},
	cases.Read:               {"Ärendet lästes", "Case read"},
	cases.List:               {"Ärendelista visades", "Case list shown"},
	cases.ReadAccessLog:      {"Loggutdrag togs", "Access log read"},
	cases.RestoreBackup:      {"Lagret återställdes från en säkerhetskopia", "Store restored from a backup"},
	cases.RecoverFromCentral: {"Återfick från centrallagret efter återställning", "Recovered from the central store after a restore"},
}

// Action is action a as the history and the access log show it, in lang.
func Action(a cases.Action, lang string) string { return lookup(actionNames, a, lang) }

// roleNames are the staff roles as the e-service names them.
var roleNames = map[cases.Role]name{
	cases.Distributor: {"Ärendemottagare", "Case distributor"},
	cases.Clinician:   {"Ärendehanterare", "Clinician"},
	cases.UnitAdmin:   {"Enhetsadministratör", "Unit administrator"},
	cases.Auditor:     {"Granskare", "Auditor"},
}

// Role is role r's name in lang.
func Role(r cases.Role, lang string) string { return lookup(roleNames, r, lang) }

// actorNames are who did something when it was not a member of staff.
var actorNames = map[cases.ActorKind]name{
	cases.Staff:   {"Personal", "Staff"},
	cases.Patient: {"Patienten", "The patient"},
	cases.System:  {"Systemet", "The system"},
}

// ActorKind is actor kind k's name in lang.
func ActorKind(k cases.ActorKind, lang string) string { return lookup(actorNames, k, lang) }

// Actor is who an entry of the history or the access log names: "patient"
// and "system" by name, a member of staff by staffName(hsaID) — or the
// HSA-ID when that is "".
func Actor(actor, lang string, staffName func(hsaID string) string) string {
	switch k := cases.ActorKind(actor); k {
	case cases.Patient, cases.System:
		return ActorKind(k, lang)
	}
	if staffName != nil {
		if n := staffName(actor); n != "" {
			return n
		}
	}
	return actor
}

// messageKindNames are the kinds of message as staff read them.
var messageKindNames = map[cases.MessageKind]name{
	cases.FromPatient:     {"Från patienten", "From the patient"},
	cases.Answer:          {"Svar", "Answer"},
	cases.PartialAnswer:   {"Delsvar", "Partial answer"},
	cases.CounterQuestion: {"Motfråga", "Counter-question"},
	cases.StaffFirst:      {"Meddelande till invånaren", "Message to the patient"},
}

// MessageKind is message kind k as staff read it, in lang.
func MessageKind(k cases.MessageKind, lang string) string { return lookup(messageKindNames, k, lang) }

// patientMessageNames are the kinds of message from the unit as the
// patient reads them.
var patientMessageNames = map[wire.OutboxKind]name{
	wire.OutboxAnswer:          {"Svar", "Answer"},
	wire.OutboxPartialAnswer:   {"Delsvar", "Partial answer"},
	wire.OutboxCounterQuestion: {"Fråga till dig", "A question for you"},
	wire.OutboxStatus:          {"Ändrad status", "Status changed"},
	wire.OutboxCaseInitiated:   {"Meddelande", "Message"},
	wire.OutboxAssignment:      {"Ny handläggare", "New clinician"},
}

// PatientMessage is the kind of a message from the unit as the patient
// reads it, in lang.
func PatientMessage(k wire.OutboxKind, lang string) string {
	return lookup(patientMessageNames, k, lang)
}

// outcomeNames are the access log's outcomes.
var outcomeNames = map[audit.Outcome]name{
	audit.Allowed: {"tillåten", "allowed"},
	audit.Denied:  {"NEKAD", "DENIED"},
}

// Outcome is outcome o's name in lang.
func Outcome(o audit.Outcome, lang string) string { return lookup(outcomeNames, o, lang) }

// fieldKindNames are the kinds of form field as the form designer names
// them.
var fieldKindNames = map[wire.FieldKind]name{
	wire.FieldText:     {"Textrad", "Line of text"},
	wire.FieldTextarea: {"Textruta", "Text box"},
	wire.FieldDate:     {"Datum", "Date"},
	wire.FieldSelect:   {"Rullista", "Drop-down"},
	wire.FieldRadio:    {"Flerval (ett svar)", "Radio buttons"},
	wire.FieldCheckbox: {"Kryssruta", "Checkbox"},
}

// FieldKind is form field kind k's name in lang.
func FieldKind(k wire.FieldKind, lang string) string { return lookup(fieldKindNames, k, lang) }

// Known reports, for a code of one of the types this package names
// (given as "cases.Action", "wire.CaseStatus" and so on), its Swedish and
// English names; ok is false for a type it does not name or a code
// without a name. Tests check every constant through it.
func Known(typ, code string) (sv, en string, ok bool) {
	get := func(n name, found bool) (string, string, bool) {
		return n[0], n[1], found && n[0] != "" && n[1] != ""
	}
	switch typ {
	case "cases.Type":
		n, f := typeNames[cases.Type(code)]
		return get(n, f)
	case "cases.Status":
		n, f := statusNames[cases.Status(code)]
		return get(n, f)
	case "wire.CaseStatus":
		n, f := patientStatusNames[wire.CaseStatus(code)]
		return get(n, f)
	case "cases.Action":
		n, f := actionNames[cases.Action(code)]
		return get(n, f)
	case "cases.Role":
		n, f := roleNames[cases.Role(code)]
		return get(n, f)
	case "cases.ActorKind":
		n, f := actorNames[cases.ActorKind(code)]
		return get(n, f)
	case "cases.MessageKind":
		n, f := messageKindNames[cases.MessageKind(code)]
		return get(n, f)
	case "wire.OutboxKind":
		n, f := patientMessageNames[wire.OutboxKind(code)]
		return get(n, f)
	case "audit.Outcome":
		n, f := outcomeNames[audit.Outcome(code)]
		return get(n, f)
	case "wire.FieldKind":
		n, f := fieldKindNames[wire.FieldKind(code)]
		return get(n, f)
	}
	return "", "", false
}
