package labels

import (
	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	wirelabels "clinicgw/sync/wire/labels"
)

// statusNames are the statuses as staff read them.
var statusNames = map[cases.Status]wirelabels.Name{
	cases.Received:          {"Ny", "New"},
	cases.Assigned:          {"Tilldelad", "Assigned"},
	cases.PartiallyAnswered: {"Delsvar skickat", "Partial answer sent"},
	cases.WaitingForPatient: {"Väntar på patienten", "Waiting for the patient"},
	cases.Answered:          {"Besvarad", "Answered"},
	cases.Closed:            {"Avslutad", "Closed"},
	cases.Withdrawn:         {"Återkallad", "Withdrawn"},
}

// Status is status s as staff read it, in lang.
func Status(s cases.Status, lang string) string { return wirelabels.Lookup(statusNames, s, lang) }

// actionNames are the actions as the case history and the access log
// show them: what happened.
var actionNames = map[cases.Action]wirelabels.Name{
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
func Action(a cases.Action, lang string) string { return wirelabels.Lookup(actionNames, a, lang) }

// roleNames are the staff roles as the e-service names them.
var roleNames = map[cases.Role]wirelabels.Name{
	cases.Distributor: {"Ärendemottagare", "Case distributor"},
	cases.Clinician:   {"Ärendehanterare", "Clinician"},
	cases.UnitAdmin:   {"Enhetsadministratör", "Unit administrator"},
	cases.Auditor:     {"Granskare", "Auditor"},
}

// Role is role r's name in lang.
func Role(r cases.Role, lang string) string { return wirelabels.Lookup(roleNames, r, lang) }

// actorNames are who did something when it was not a member of staff.
var actorNames = map[cases.ActorKind]wirelabels.Name{
	cases.Staff:   {"Personal", "Staff"},
	cases.Patient: {"Patienten", "The patient"},
	cases.System:  {"Systemet", "The system"},
}

// ActorKind is actor kind k's name in lang.
func ActorKind(k cases.ActorKind, lang string) string { return wirelabels.Lookup(actorNames, k, lang) }

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
var messageKindNames = map[cases.MessageKind]wirelabels.Name{
	cases.FromPatient:     {"Från patienten", "From the patient"},
	cases.Answer:          {"Svar", "Answer"},
	cases.PartialAnswer:   {"Delsvar", "Partial answer"},
	cases.CounterQuestion: {"Motfråga", "Counter-question"},
	cases.StaffFirst:      {"Meddelande till invånaren", "Message to the patient"},
}

// MessageKind is message kind k as staff read it, in lang.
func MessageKind(k cases.MessageKind, lang string) string {
	return wirelabels.Lookup(messageKindNames, k, lang)
}

// outcomeNames are the access log's outcomes.
var outcomeNames = map[audit.Outcome]wirelabels.Name{
	audit.Allowed: {"tillåten", "allowed"},
	audit.Denied:  {"NEKAD", "DENIED"},
}

// Outcome is outcome o's name in lang.
func Outcome(o audit.Outcome, lang string) string { return wirelabels.Lookup(outcomeNames, o, lang) }

// Known reports, for a code of one of the types this package or
// sync/wire/labels names (given as "cases.Action", "wire.CaseStatus" and
// so on), its Swedish and English names; ok is false for a type neither
// names or a code without a name. Tests check every constant through it.
func Known(typ, code string) (sv, en string, ok bool) {
	get := func(n wirelabels.Name, found bool) (string, string, bool) {
		return n[0], n[1], found && n[0] != "" && n[1] != ""
	}
	switch typ {
	case "cases.Status":
		n, f := statusNames[cases.Status(code)]
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
	case "audit.Outcome":
		n, f := outcomeNames[audit.Outcome(code)]
		return get(n, f)
	}
	return wirelabels.Known(typ, code)
}
