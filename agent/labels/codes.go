package labels

import (
	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/i18n"
	wirelabels "clinicgw/sync/wire/labels"
)

// Status is status s as staff read it, in lang (the catalogue's status.*).
func Status(s cases.Status, lang string) string { return i18n.Name(lang, "status", string(s)) }

// Action is action a as the history and the access log show it — what
// happened — in lang (the catalogue's action.*).
func Action(a cases.Action, lang string) string { return i18n.Name(lang, "action", string(a)) }

// Role is role r's name in lang, as the e-service names it (the
// catalogue's role.*).
func Role(r cases.Role, lang string) string { return i18n.Name(lang, "role", string(r)) }

// ActorKind is actor kind k's name in lang: who did something when it was
// not a member of staff by name (the catalogue's actor.*).
func ActorKind(k cases.ActorKind, lang string) string { return i18n.Name(lang, "actor", string(k)) }

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

// MessageKind is message kind k as staff read it, in lang (the
// catalogue's message.*).
func MessageKind(k cases.MessageKind, lang string) string {
	return i18n.Name(lang, "message", string(k))
}

// Outcome is access-log outcome o's name in lang (the catalogue's
// outcome.*).
func Outcome(o audit.Outcome, lang string) string { return i18n.Name(lang, "outcome", string(o)) }

// kinds are the catalogue's kinds of the code types this package names,
// by the type's name as labelstest gives it.
var kinds = map[string]string{
	"cases.Status":      "status",
	"cases.Action":      "action",
	"cases.Role":        "role",
	"cases.ActorKind":   "actor",
	"cases.MessageKind": "message",
	"audit.Outcome":     "outcome",
}

// Known reports, for a code of one of the types this package or
// sync/wire/labels names (given as "cases.Action", "wire.CaseStatus" and
// so on), its Swedish and English names; ok is false for a type neither
// names or a code without a name. Tests check every constant through it.
func Known(typ, code string) (sv, en string, ok bool) {
	if kind, found := kinds[typ]; found {
		return wirelabels.KnownAs(kind, code)
	}
	return wirelabels.Known(typ, code)
}
