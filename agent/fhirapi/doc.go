// Package fhirapi is the integration API for the care unit's own systems
// (its record system, registers): the unit's cases, form answers and
// messages as FHIR R4 resources over REST, on its own listener ([api] in
// the configuration), with a change feed; and the two writes a record
// system makes: a message to a patient (POST Communication) and a case
// marked handled with its own reference (PATCH Task).
//
// # Who may call
//
// Mutual TLS only (sync/tlsconf.ServerClientCertIfGiven): a system
// presents its SITHS function certificate, which must chain to a
// configured SITHS root through one of the configured function CAs (a
// person's card certificate, from the person CA under the same root, is
// refused), and whose HSA-ID (subject serialNumber) must be in the staff
// directory's systems section (agent/directory, hot-reloaded with the
// file) with the permission the route needs (read-cases; write-messages
// for the writes). A client
// without a certificate gets through the handshake only to be told, as
// an OperationOutcome, that it needs one. There are no tokens, in URLs or
// elsewhere. Each system has its own token bucket (the injected clock; a
// 429 with Retry-After when empty).
//
// Reads go through agent/cases.Service with the system as an actor of
// kind cases.Integration, so the service's rules hold and each read or
// list is in the access log under the system's HSA-ID, like staff reads.
// A search by patient identifier is accepted only in the body of POST
// Task/_search: a GET whose query names a patient, or holds anything that
// looks like a personnummer, is refused (400), so that no identifier is in
// a URL that proxies and logs keep; no link in the answer carries it.
//
// # Resources
//
//   - Task: a case. status maps the workflow (received → requested,
//     assigned → accepted, partially answered → in-progress, waiting for
//     the patient → on-hold, answered and closed → completed, withdrawn →
//     cancelled; businessStatus has the case's own status), owner the
//     assigned clinician's HSA-ID (Practitioner identifier), code the
//     service (case type) with its name from the type name lookup,
//     restriction.period.end the due date of an open case, focus the form
//     answers. Search: status, owner, code, patient:identifier (POST
//     only), _lastUpdated, _count; pages oldest first, the next link's
//     _cursor is the last case id of the page (cases.Filter.After).
//   - The change feed, GET Task/_changes: a long poll for the Tasks
//     changed since a token, at most 100 an answer (feed.go says how and
//     why not Subscription).
//   - QuestionnaireResponse (id = the case's): the form answers, read by
//     the service version the case was written on (Forms.Catalog);
//     Questionnaire (id = the service's code): the unit's current form.
//   - Communication (id = case id, a dash, the message's number): a
//     message; search part-of=Task/[id].
//   - Patient (id = the case's): identifier (personnummer, OID
//     1.2.752.129.2.1.3.1, or samordningsnummer, 1.2.752.129.2.1.3.3) and
//     name, nothing more. A patient has no id of its own here, so that no
//     identifier is ever in a URL: the patient is reached through a case.
//
// # Writes
//
// Through the case service's doors for systems (cases.SendFromSystem,
// cases.UpdateFromSystem; communication.go, taskwrite.go), so that the
// workflow's rules, the outbox to the patient side (and so the patient's
// notice) and the access log hold as for a staff member's message:
//
//   - POST Communication: on a case (partOf or basedOn Task/[id]; category
//     answer, partial-answer or counter-question, answer if left out) or
//     starting one (subject by identifier, topic.text the subject line);
//     signed with the system's signature from the directory. Exactly one
//     identifier, the system's own id of the message: the store keeps
//     what was done under it (a hash of the system's HSA-ID and the
//     identifier), so a retry, even after a restart, answers 200 with the
//     message sent and sends nothing; the identifier with another
//     message is 409. A patient with no case at the unit is refused
//     (403) unless the system has start-relationship. A system without
//     read-cases gets an OperationOutcome and the Location back, no
//     patient data (and 204 for a PATCH).
//   - PATCH Task/[id] (JSON Patch): status completed closes an answered
//     case (an open one is 422: answer first); add /identifier/-
//     attaches the system's reference (Case.Refs), shown to staff and in
//     Task.identifier.
//
// Every body, of a write or a POST _search, is read by one reader
// (body.go): 415 for another media type, 413 past the operation's size,
// 400 naming an element the operation does not read, at any level; only
// id, meta, text and language, which FHIR lets a server ignore, are
// taken and dropped. FuzzDecodeCommunication, FuzzParsePatch and
// FuzzBookingRequest hold the decoders.
//
// Task and Appointment are versioned (version.go): a read's ETag W/"n"
// is meta.versionId; PATCH Task and $cancel take If-Match (412 on a
// stale version, checked in the change's transaction) and go ahead
// without it, as FHIR permits. A case's status as Task.status comes from agent/fhirtask,
// the one mapping the archive uses too.
//
// /metadata serves a CapabilityStatement with exactly these; every error
// is an OperationOutcome with a 4xx (or 5xx) status whose diagnostics say
// what to do, and never repeat a value from the request.
//
// # The booking diary
//
// With a diary (Config.Diary, agent/booking), a system with the
// permission read-bookings (or bookings) reads it (appointment.go,
// diary.go): Schedule, one per clinician (in a template or named by a
// time type), the clinician as actor by HSA-ID; Slot, a time: free,
// busy (booked), busy-tentative (a patient's hold while they confirm
// online), busy-unavailable (a free time that has begun); Appointment, a
// booking: booked, arrived, fulfilled (arrived and the time has ended),
// noshow, cancelled (each cancelled booking of a time stays one), and
// pending for a hold (no patient named). No id names an HSA-ID: a
// Schedule's is a keyed hash of the clinician's (Config.IDKey, kept in
// the store by agent), a Slot's its Schedule's and its start in base 36
// (no run of digits that looks like a personnummer), an Appointment's
// its Slot's and the booking's id. Searches take a range of starts
// (date, start; at most 400 days), the clinician (actor:identifier),
// status, the time type, and the patient (patient:identifier) only in
// POST Appointment/_search; paged by _count and _offset. A system with
// bookings books (POST Appointment: a free Slot, the patient by
// identifier; a client identifier makes a retry answer the booking
// made) and cancels (POST Appointment/[id]/$cancel with a reason)
// through the diary's authority (book.go): the same one-transaction
// Book and CancelBooking as the staff pages and the patients' online
// requests, so of two bookers of a time exactly one wins, and the other
// gets a 409 OperationOutcome with the decline's code. Every request is
// in the access log under the system's HSA-ID: each booking and
// cancellation in the change's own transaction (booking.WithAccessLog:
// both commit or neither), a declined one, each Appointment shown with
// its patient, and a read that shows no patient as diary-list
// (Config.DiaryLog).
//
// # Revocation
//
// Each request's certificate is checked by Config.Revocation
// (revocation.go: cardauth/siths, the staff login's policy: OCSP, then a
// fresh CRL, answers cached until nextUpdate), after the directory and
// the rate limit so that an unknown caller costs no fetch. Revoked is a
// 403; undetermined a 503 (fail closed; login.soft_fail, documented as
// a temporary exception, applies here too). Per request rather than at
// the handshake, so a certificate revoked while a system keeps its
// connection open is refused at its next request.
//
// # No FHIR library
//
// The types (types.go) are written by hand with only the elements
// emitted, after looking at what Go offers (December 2026):
// samply/golang-fhir-models (Apache-2.0, generated R4 structs; no release
// since 2022, its forks archived), gofhir/fhir (MIT, R4/R4B/R5, first
// release January 2026, one maintainer) and google/fhir (protocol
// buffers, needs its own JSON marshalling). Each brings every one of
// FHIR's ~150 resources (tens of thousands of lines) for the six used
// here, and none is both mature and kept up. Instead, the tests validate
// every resource the API emits with an outside validator, the fhir npm
// package 4.12.0 (testdata/validator: the official R4 StructureDefinitions
// bundled, run offline with node), and with HL7's R4 JSON schema
// (agent/archive/testdata).
package fhirapi
