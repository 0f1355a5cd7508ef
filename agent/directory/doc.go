// Package directory is the HSA staff directory: who works at the care
// unit, with name, title, e-mail, mobile, roles, commissions and leave,
// read from the file region IT exports and kept current as it changes.
//
// The file is JSON, version 1 (testdata/directory.json is an example):
//
//	{"version": 1, "people": [{
//	    "hsaId": "SE2321000016-1001", "givenName": "…", "surname": "…",
//	    "title": "Distriktssköterska", "email": "…", "mobile": "+4670…",
//	    "roles": ["clinician"],                  // distributor, clinician, unit-admin, auditor
//	    "commissions": [{"unit": "SE2321000016-E001", "purpose": "Vård och behandling",
//	                     "validFrom": "2026-01-01", "validTo": "2026-12-31"}],
//	    "leave": [{"from": "2026-07-01", "to": "2026-07-31"}]}]}
//
// Only a commission for the unit with the purpose "Vård och behandling",
// valid today, gives access. Leave does not end access; it tells the
// distributor whom not to assign. A reload is two-phase: the new file is
// read and checked in full before it replaces the old directory; a file
// that fails keeps the old one and says why (by entry number and HSA-ID,
// never by name). Revoked lists who lost access in a reload, so their
// sessions can end; callers check Access on every request, so a
// commission that runs out ends access without a file change.
package directory
