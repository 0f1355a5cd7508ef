// Package labels is the one home of the text people read in place of the
// product's codes: the Swedish and English names of case types, statuses
// (as staff and as patients read them), workflow and access-log actions,
// roles, actor and message kinds, access-log outcomes and form field
// kinds — and the rendering of a patient's form answer for a human
// (Answers): the option's label for a choice, Ja/Nej for a box, a date as
// YYYY-MM-DD, free text as written.
//
// The staff UI (localui), the reference central store's patient pages
// (sync/central, whose default forms take their titles from Type, so staff
// and patients call a case type the same) and the archive package with its
// FHIR export (agent/archive) all render through it. No page shows a code
// as it is: a code without a name is shown marked (Unknown), and an answer
// the form no longer explains — cases do not record the form version they
// were written on, so they are read with the unit's form of their type as
// it is now — is shown as sent with a note saying so.
//
// labelstest finds every code constant in the Go source, so the tests
// that no page shows a raw code and that every code has both names cover a
// constant the day it is added.
package labels
