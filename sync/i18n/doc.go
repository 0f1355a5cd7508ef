// Package i18n is the one translation catalogue of the words clinicgw
// writes for people: every text of the staff web UI (localui), of its
// statistics (localui/report) and of the notices sent by e-mail and SMS
// (agent/notify), the names of codes and the refusals, in Swedish and
// English, by key.
//
// A text is either plain (the same words whatever the numbers in it) or
// counted: its words follow the plural category of one or more of its
// numbers ("1 ärende flyttades", "3 ärenden flyttades"; "1 case moved",
// "3 cases moved"). Counted texts are golang.org/x/text's plural messages
// (CLDR's rules: Swedish and English both have the categories one and
// other), rendered by x/text's message.Printer, which also writes numbers
// as each language groups them ("1 234" with a no-break space in Swedish,
// "1,234" in English). A year or another number that must not be grouped
// is passed as a string.
//
// Swedish comes first and is the default: a language code other than
// "en" reads Swedish. A key the catalogue does not hold is shown as the
// key itself, so that a test finds it; the tests check that every key has
// both languages, the same format verbs in both, and, for a counted text,
// different words for one and for many.
//
// The names of the product's codes are here too, keyed by kind and the
// code's value ("status.received", "action.take-back",
// "type.renew-prescription", "patientStatus.answered", "fieldKind.date"):
// agent/labels, sync/wire/labels and sync/wire/casetype.Names read them
// through Name, which shows a code the catalogue does not name marked
// ("okänd kod ”…”"), never as it is; their tests find every code constant
// in the Go source and check it has its key here.
//
// The refusals and errors people read are here as well: the case
// service's (agent/cases, cases.*), the card login's (cardauth,
// login.refused.*, pin.*, cert.*, bridge.*), a typed personnummer's
// (sync/wire/personnummer, pnr.*) and the reference central store's
// patient pages' (sync/central, central.*; its templates' words are
// central.page.*).
//
// The catalogue is a shared leaf (it imports nothing of the module), so
// that the reference central store (sync/central) may read it as the
// gateway does.
package i18n
