package labels

import (
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// Name is a code's name in Swedish and English.
type Name [2]string

// In returns n in lang: English for "en", Swedish for anything else.
func (n Name) In(lang string) string {
	if lang == "en" && n[1] != "" {
		return n[1]
	}
	return n[0]
}

// Lookup returns the name of code in lang, or the code marked as unknown.
func Lookup[K ~string](m map[K]Name, code K, lang string) string {
	if n, ok := m[code]; ok {
		return n.In(lang)
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

// Type is case type t's name in lang (casetype.Names).
func Type(t casetype.Type, lang string) string {
	sv, en, ok := casetype.Names(t)
	if !ok {
		return Unknown(string(t), lang)
	}
	return Name{sv, en}.In(lang)
}

// TypeText is case type t's name in both languages, as a form's title.
func TypeText(t casetype.Type) wire.Text {
	return wire.Text{SV: Type(t, "sv"), EN: Type(t, "en")}
}

// patientStatusNames are the statuses as the patient reads them.
var patientStatusNames = map[wire.CaseStatus]Name{
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
	return Lookup(patientStatusNames, s, lang)
}

// patientMessageNames are the kinds of message from the unit as the
// patient reads them.
var patientMessageNames = map[wire.OutboxKind]Name{
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
	return Lookup(patientMessageNames, k, lang)
}

// fieldKindNames are the kinds of form field as the form designer names
// them.
var fieldKindNames = map[wire.FieldKind]Name{
	wire.FieldText:     {"Textrad", "Line of text"},
	wire.FieldTextarea: {"Textruta", "Text box"},
	wire.FieldDate:     {"Datum", "Date"},
	wire.FieldSelect:   {"Rullista", "Drop-down"},
	wire.FieldRadio:    {"Flerval (ett svar)", "Radio buttons"},
	wire.FieldCheckbox: {"Kryssruta", "Checkbox"},
}

// FieldKind is form field kind k's name in lang.
func FieldKind(k wire.FieldKind, lang string) string { return Lookup(fieldKindNames, k, lang) }

// Known reports, for a code of one of the types this package names
// (given as "casetype.Type", "wire.CaseStatus", "wire.OutboxKind" or
// "wire.FieldKind"), its Swedish and English names; ok is false for a type
// it does not name or a code without a name. Tests check every constant
// through it (agent/labels.Known asks it for these types).
func Known(typ, code string) (sv, en string, ok bool) {
	get := func(n Name, found bool) (string, string, bool) {
		return n[0], n[1], found && n[0] != "" && n[1] != ""
	}
	switch typ {
	case "casetype.Type":
		sv, en, found := casetype.Names(casetype.Type(code))
		return get(Name{sv, en}, found)
	case "wire.CaseStatus":
		n, f := patientStatusNames[wire.CaseStatus(code)]
		return get(n, f)
	case "wire.OutboxKind":
		n, f := patientMessageNames[wire.OutboxKind(code)]
		return get(n, f)
	case "wire.FieldKind":
		n, f := fieldKindNames[wire.FieldKind(code)]
		return get(n, f)
	}
	return "", "", false
}
