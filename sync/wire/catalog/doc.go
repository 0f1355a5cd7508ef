// Package catalog is the care unit's catalogue of services: what patients
// may write to the unit about, as data the unit shapes rather than a list
// in code. A service has an id (a form id's syntax, the case type its cases
// carry), a name and an introduction in Swedish and English, its form, who
// handles it (Route: "" for the message administrator's inbox, or a staff
// group's id), its answer rule (AnswerDays working days, two by default; a
// longer one only with a note that tells the patient), whether it is
// offered now (Retired), and a version raised on every change. A Catalog
// keeps every earlier version (History), so that a case written on version
// 3 of a service still reads with version 3 after the service changed or
// was retired (Lookup).
//
// The package also ships the regions' services as templates a unit
// switches on (Templates; named in sync/i18n's type.* keys), makes a
// catalogue of a store's form set from before the catalogue (FromForms),
// and reads an imported catalogue (Decode: strict JSON within MaxBytes,
// then Check, whose refusals are *Error with Swedish and English text).
// What a unit publishes to the central store is derived from it: the v2
// wire.ServiceSet (Published) and, for a central store that only takes
// protocol v1's form set, the forms of the case types it knows (Legacy).
//
// It is a leaf beside sync/wire: it imports only the standard library,
// sync/wire, sync/wire/casetype and sync/i18n. Staff groups are not its
// concern: Check asks the caller whether a route names a group
// (Rules.GroupExists).
package catalog
