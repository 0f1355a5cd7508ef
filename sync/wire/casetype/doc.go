// Package casetype is the one home of the case types: the codes of the
// e-services a care unit offers — any id of a form id's syntax (Valid), of
// which All (Known) are the built-in ones every release named — what staff and patients call
// each one in Swedish and English (Names, read from the one catalogue,
// sync/i18n, which holds the words), and the built-in form of each
// (DefaultForms), which a unit that has not published forms of its own
// offers its patients. A form's id is its case type.
//
// The gateway's cases (agent/cases), its form designer (localui), `clinicgw
// init` and the reference central store (sync/central) all take the types
// and the default forms from here. It is a leaf: it imports only the
// standard library, sync/wire and sync/i18n.
package casetype
