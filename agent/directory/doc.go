// Package directory is the HSA staff directory: who works at the care
// unit, with name, title, e-mail, mobile, roles, commissions and leave,
// read from the file region IT exports and kept current as it changes.
//
// # The file
//
// JSON, UTF-8, at most 16 MiB, one object; testdata/directory.json is an
// example with synthetic people:
//
//	{"version": 1, "people": [{
//	    "hsaId": "SE2321000016-1001",            // the person's HSA-ID, unique in the file
//	    "givenName": "…", "surname": "…",        // one line each, 1–100 characters
//	    "title": "Distriktssköterska",           // shown to patients with answers
//	    "email": "…@region.se", "mobile": "+4670…", // optional
//	    "roles": ["clinician"],                  // one or more of distributor, clinician, unit-admin, auditor
//	    "commissions": [{                        // medarbetaruppdrag
//	        "unit": "SE2321000016-E001",         // the care unit's HSA-ID
//	        "purpose": "Vård och behandling",    // only this purpose gives access
//	        "validFrom": "2026-01-01",           // first day, Swedish time
//	        "validTo": "2026-12-31"}],           // last day, included; optional: until further notice
//	    "leave": [{"from": "2026-07-01", "to": "2026-07-31"}]}]} // optional, both days included
//
// An optional "systems" section names the unit's other systems that may
// call the integration API (agent/fhirapi) with their SITHS function
// certificates, and what each may do (systems.go):
//
//	"systems": [{"hsaId": "SE2321000016-9001", "name": "Journalsystemet",
//	             "may": ["read-cases"],           // read-cases, write-messages, bookings, read-bookings, start-relationship
//	             "signature": "Journalsystemet"}] // optional: what its messages to patients are signed with
//
// It is reloaded with the file, so a system taken out is refused at its
// next request. A system's HSA-ID may not also be a person's.
//
// Decoding is strict: an unknown member, a wrong type, data after the
// object, an empty "people" list, a duplicate or malformed HSA-ID, an
// unknown role or a period that ends before it starts refuses the whole
// file. The error lists the problems by entry number and HSA-ID
// ("people[3] (SE2321000016-1004): roles[0]: unknown role …") and never
// repeats a name or another value from the file (checklist LG3), so it
// can be logged and shown on the status page as it is.
//
// # Access
//
// Directory.Access lets a person in only with a commission for the unit
// with the purpose "Vård och behandling" valid at that moment. Leave does
// not end access; it tells the distributor whom not to assign
// (Directory.Clinicians lists clinicians with leave marked, and until
// when: Person.LeaveAt runs on over adjoining and overlapping periods). Callers check
// Access on every request (a map lookup, tens of nanoseconds), so a
// commission that runs out ends access at once, without a file change.
//
// # Reloads
//
// A Watcher keeps the directory current. It watches the file's folder
// with fsnotify (export tools and editors replace files by rename, remove
// and create, or truncate and write), lets a burst of events settle, and
// also reads the file every minute (network shares, where inotify sees no
// remote change). A reload is two-phase: the new file is read and checked
// in full before it replaces the directory in use; a file that fails keeps
// the old one, and the reason is logged once and kept in Status and
// LastError. A file whose content is that of the directory in use changes
// nothing. After a change, OnChange gets the old and new directories;
// Revoked lists who lost access, or a role, so that their sessions end
// within the reload time (checklist AU6).
package directory
