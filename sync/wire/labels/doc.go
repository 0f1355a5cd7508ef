// Package labels names the sync protocol's codes for people, for both
// ends, by typed lookups into the one catalogue (sync/i18n, which holds
// the words): the case types' names (from
// sync/wire/casetype, so staff and patients call a type the same), the
// statuses and message kinds as the patient reads them (PatientStatus,
// PatientMessage), the form field kinds as the form designer names them
// (FieldKind) — and the rendering of a patient's form answer for a human
// (Answers): the option's label for a choice, Ja/Nej for a box, a date as
// YYYY-MM-DD, free text as written. FindForm finds a case type's form in a
// form set.
//
// The reference central store's patient pages (sync/central), the staff UI
// (localui) and the archive (agent/archive) render through it; the names
// of the gateway's own codes (statuses as staff read them, actions, roles,
// actor and message kinds, access-log outcomes) are agent/labels', which
// builds on this package's KnownAs and Unknown. No page shows a code
// as it is: a code without a name is shown marked (Unknown), and an answer
// the form no longer explains — cases do not record the form version they
// were written on, so they are read with the unit's form of their type as
// it is now — is shown as sent with a note saying so.
//
// labelstest finds every code constant in the Go source, so the tests
// that no page shows a raw code and that every code has both names cover a
// constant the day it is added. This package is a leaf: it imports only
// the standard library, sync/wire, sync/wire/casetype and sync/i18n.
package labels
