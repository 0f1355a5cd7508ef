// Package wire is the sync protocol between a care unit's gateway and the
// central patient-side store: its paths, message types, limits, problem
// responses and the strict decoders both ends run on what they receive. It is
// the single source of truth of the protocol; sync/central (the server) and
// sync/uplink (the gateway's client) both build on it, and openapi.json in
// this folder describes the same protocol for a region's own central store.
//
// # Transport and identity
//
// The protocol runs over HTTPS (HTTP/2, TLS 1.3 preferred, 1.2 minimum) with
// mutual TLS. The gateway's client certificate carries the care unit's HSA-ID
// in its subject serialNumber; the server takes the unit from the verified
// certificate and from nowhere else, so no body names the unit. Each side
// trusts only the other's configured CA.
//
// # Versions
//
// The path prefix is the version: every endpoint of v1 lives under "/v1"
// (Version, PathPrefix), and of v2 under "/v2" (Version2, PathPrefix2).
// Bodies carry no version. A server answers a path under an unknown
// version with UnsupportedVersion. v2 adds the event chain, which makes a
// central store that went back in time detectable, and reconciliation
// (chain.go: ChainedPage, PathReconcile2), and the unit's confirmed
// items for a gateway restored from its own backup (confirmed.go:
// PathConfirmed2), and the gateway's report of the acknowledged events it
// could not handle (quarantine.go: PathQuarantine2), and the unit's
// contact details for its patients (contact.go: PathContact2), and in a
// new case the version of the form the patient wrote on
// (NewCase.FormVersion, which a v1 inbox page never carries); its other
// endpoints take and answer v1's bodies. A central store serves both (Versions); a gateway
// of this release speaks v2, so a region moves its central store first.
//
// Because every decoder refuses unknown members, a new member — even an
// optional one — is not backward compatible within a version: a gateway
// or server of the previous release would refuse every body that carries
// it. Adding one therefore takes a new version, with the previous one
// still served until both ends have moved.
//
// # Times
//
// An Event's at is the central store's time of record: when it accepted
// the patient's action (a new case, a reply, a withdrawal) and committed the
// event, by its clock. It has been required since v1, so every central
// store sends it. The gateway counts the two working days the unit has to
// answer from it, not from when it fetched the event, so a case sent on
// Friday night to a gateway that was offline until Monday is due on
// Tuesday, not on Wednesday. A time of record later than the gateway's own
// time of arrival is clock skew: the gateway then counts from arrival, so
// skew never makes a case due later. An OutboxItem's at is the gateway's
// time of the change at the unit.
//
// # Endpoints
//
//	GET  /v1/inbox?after=CURSOR&limit=N  → 200 InboxPage
//	POST /v1/inbox/ack        Ack        → 204
//	POST /v1/outbox           OutboxBatch → 200 OutboxResult
//	PUT  /v1/forms            FormSet    → 204
//	GET  /v1/forms                       → 200 FormSet
//	GET  /v1/stream (websocket)          → StreamMessage text messages
//	GET  /v2/inbox?after=CURSOR&limit=N  → 200 ChainedPage
//	POST /v2/reconcile  ReconcileBatch    → 200 ReconcileResult
//	POST /v2/outbox     OutboxBatch2      → 200 OutboxResult (items as /v1, plus whom on staff they name, and reassignments)
//	GET  /v2/outbox/confirmed?since=TIME&after=SEQ&limit=N → 200 ConfirmedPage
//	PUT  /v2/quarantine QuarantineReport  → 204 (the gateway's acknowledged events it could not handle)
//	GET  /v2/quarantine                   → 200 QuarantineReport (the last one the central store holds)
//	PUT  /v2/sealing-key SealingKeyStatement → 204 (the unit's sealing key, signed with its certificate; sealkey.go)
//	GET  /v2/sealing-key                  → 200 PublishedSealingKey (what the central store publishes for the unit)
//	GET  /v2/sealing-epochs?id=EPOCH      → 200 SealingEpoch (an epoch that version-3 sealed events name: sealepoch.go)
//	PUT  /v2/sealing-epochs SealingEpoch  → 204 (put back before events are given back)
//	PUT  /v2/contact    UnitContact       → 204 (the unit's contact details for its patients: contact.go)
//	GET  /v2/contact                      → 200 UnitContact
//	PUT  /v2/services   ServiceSet        → 204 (the unit's offered services: forms with answer rules; 404 from a store on the old form set)
//	GET  /v2/services                     → 200 ServiceSet
//	PUT  /v2/booking/times BookingTimes   → 204 (the unit's free times for online booking: booking.go)
//	GET  /v2/booking/requests             → 200 BookingRequestPage (patients' requests waiting for a decision)
//	POST /v2/booking/decisions BookingDecisions → 204 (confirmed, or declined with a reason code)
//	PUT  /v2/booking/bookings BookingBookings → 204 (the unit's coming bookings of patients and its cancellations: bookingstate.go)
//	PUT  /v2/booking/bookings-sealed SealedBookingBookings → 204 (the same, sealed to the central store's key: bookingstatesealed.go)
//	     (with sealing on, booking requests and confirmed items carry their personal parts sealed to the unit:
//	     bookingsealed.go, confirmedsealed.go)
//	     /v2/inbox/ack, /v2/forms, /v2/stream as under /v1
//
// Delivery from the central store is at least once: the gateway stores a page
// of events and its cursor in one transaction and only then acknowledges the
// cursor; events carry ids so that applying one twice changes nothing. The
// gateway's outbox items carry idempotency keys; a repeat with the same key
// and the same content (Digest) is a "duplicate", not a second answer, and
// other content under a known key is a conflict. The same holds for every
// other id a server keeps content under: a message id in its case
// (MessageDigest) and a form's id and version (Form.Digest). A conflict
// applies nothing and is final.
//
// # Bodies and errors
//
// Bodies are JSON in UTF-8 (Content-Type application/json). Every decoder in
// this package refuses a body that is larger than its limit, not valid UTF-8,
// not valid JSON, has unknown, duplicate or missing members, members of the
// wrong type, or data after the value, and then checks the value's Validate
// rules. Its errors are *Problem values (400 or 413) whose text names only
// the position in the schema and the rule broken — never the input — so a
// server can send them back as they are with WriteProblem. Errors are RFC 9457
// problem details (application/problem+json).
//
// # Decoding cost
//
// Every body is decoded on one strict path: the encoding checks,
// encoding/json, the walk (walk.go: what encoding/json lets through) and
// Validate. The gateway decodes every page of a backlog, so a chained
// inbox page also has a one-pass decoder of its own (fastpage.go, its
// strings read by jsontext.Unquote, which refuses what the encoding
// checks refuse): it fills the page directly and takes only what the
// strict path takes, giving up on anything else so that the strict path
// decides and explains. FuzzDecodeChainedPageEvents holds the two to the
// same page on any body, FuzzFastNeedsNoEncodingCheck the fast one to the
// encoding checks. On a backlog of realistic 2 KiB Swedish cases the fast
// decoder took 13.7 µs per event against 22.4 µs before jsontext
// (BenchmarkPullPage, 2026-12-07), the strict path about 34 µs
// (BenchmarkDecodeRealisticPage). Under GOEXPERIMENT=jsonv2 (Go 1.26)
// encoding/json took 11.1 µs of the strict path's 20.6 µs; encoding/json/v2
// with RejectUnknownMembers also refuses duplicate and case-folded names,
// so once it leaves the experiment it can take over most of the walk.
//
// # Required and optional members
//
// A member whose Go field is tagged omitempty or omitzero is optional: a
// body may leave it out, and an optional object (a pointer field) may also
// be null. Every other member is required: a decoder refuses a body
// without it, and openapi.json lists it under "required". Optional lists
// use omitzero, so a nil list is left out and an empty one is written as
// []. Problem is the exception: as RFC 9457 asks, all its members are
// optional and unknown ones are ignored.
//
// Encoding goes through Marshal (or WriteJSON), which validates first and
// writes the canonical form that the golden files in testdata pin down.
//
// # The shared vocabulary
//
// What both ends need besides the messages lives in small leaf
// subpackages, each the one home of its concept: hsaid (the HSA-ID rule),
// personnummer, workday (the Swedish working-day calendar and the
// Stockholm zone), caseid (the case id), casetype (the case types, their
// names and the default forms) and labels (the names of the protocol's
// codes, and form answers rendered for people). CheckText here is the one
// rule for text. wire and its subpackages import only the standard library
// and each other (TestLeafPackage, and agent's TestImportDirection).
package wire
