package labels

import (
	"clinicgw/sync/i18n"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// Unknown is a code no table names, as it is shown: the code itself,
// marked, so that it is never taken for a word.
func Unknown(code, lang string) string { return i18n.T(lang, "code.unknown", code) }

// Type is case type t's name in lang (the catalogue's type.*).
func Type(t casetype.Type, lang string) string { return i18n.Name(lang, "type", string(t)) }

// TypeText is case type t's name in both languages, as a form's title.
func TypeText(t casetype.Type) wire.Text {
	return wire.Text{SV: Type(t, "sv"), EN: Type(t, "en")}
}

// PatientStatus is status s as the patient reads it, in lang (the
// catalogue's patientStatus.*).
func PatientStatus(s wire.CaseStatus, lang string) string {
	return i18n.Name(lang, "patientStatus", string(s))
}

// PatientMessage is the kind of a message from the unit as the patient
// reads it, in lang (the catalogue's patientMessage.*).
func PatientMessage(k wire.OutboxKind, lang string) string {
	return i18n.Name(lang, "patientMessage", string(k))
}

// FieldKind is form field kind k's name in lang, as the form designer
// names it (the catalogue's fieldKind.*).
func FieldKind(k wire.FieldKind, lang string) string {
	return i18n.Name(lang, "fieldKind", string(k))
}

// kinds are the catalogue's kinds of the code types this package names,
// by the type's name as labelstest gives it.
var kinds = map[string]string{
	"casetype.Type":   "type",
	"wire.CaseStatus": "patientStatus",
	"wire.OutboxKind": "patientMessage",
	"wire.FieldKind":  "fieldKind",
}

// Known reports, for a code of one of the types this package names
// (given as "casetype.Type", "wire.CaseStatus", "wire.OutboxKind" or
// "wire.FieldKind"), its Swedish and English names; ok is false for a type
// it does not name or a code without a name. Tests check every constant
// through it (agent/labels.Known asks it for these types).
func Known(typ, code string) (sv, en string, ok bool) {
	return KnownAs(kinds[typ], code)
}

// KnownAs reports the Swedish and English names of code of the
// catalogue's kind; ok is false for a code the catalogue does not name.
func KnownAs(kind, code string) (sv, en string, ok bool) {
	key := kind + "." + code
	if kind == "" || !i18n.Has(key) {
		return "", "", false
	}
	sv, en = i18n.T("sv", key), i18n.T("en", key)
	return sv, en, sv != "" && en != ""
}
