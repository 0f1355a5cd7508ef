// Package central is a reference central patient-side store: the server end
// of the sync protocol (clinicgw/sync/wire) that care units' gateways pull
// cases from and push answers to over mutual TLS, plus minimal Swedish
// patient pages where a patient logs in, writes a case on one of a care
// unit's published forms (or, as guardian, for a child under 13), reads the
// answers and writes follow-ups; a unit's published contact details
// (contact.go) are shown on its forms page and its cases. Online booking
// (booking.go, bookingpages.go): the free times the unit's gateway
// published, by type and day; a patient's booking, rebooking or cancel is
// a request the gateway decides, and a booking shows in "Bokade tider"
// only once the gateway confirmed it (a time asked for is busy-tentative
// meanwhile); a declined one says why in Swedish, with the nearest free
// times of the same kind when it was taken. A patient's consent to
// reminders before their visits and where they go (reminders.go, one
// choice per patient) is kept here and sent with each book and rebook
// request; the gateway sends the reminders. What the pages can tell at
// once is declined at once (bookingcheck.go). The gateway's own bookings
// (bookingstate.go: staff's phone bookings, rebookings and cancellations)
// replace the unit's confirmed ones; a guardian books, rebooks and cancels
// for a child under 13 (bookingguardian.go), with the guardian's own
// reminder choice. The free times show a week at a time (bookingweek.go),
// decoded once per publication (bookingcache.go); a new request is announced on the streams that asked (announce=booking)
// and the patient's click waits for the gateway's decision while one
// listens (bookingnotice.go); a click for a time the patient already has
// is told so at once (bookingagain.go).
//
// It is for development, demonstrations and tests, and it is the executable
// specification a region's real central store must meet. Its patient login
// is a clearly labelled development stand-in for e-legitimation (BankID).
//
// # Storage
//
// One bbolt file (never NoSync). Per care unit (HSA-ID) it keeps an event log
// keyed by an 8-byte big-endian sequence number (a case.created event
// records the version of the form the patient submitted on, which v2
// serves and v1 leaves out), the cursor the gateway has
// acknowledged, the unit's published forms (and, from protocol v2's
// services, each form's answer rule, shown on the form's page), its
// contact details, and the outbox idempotency records
// (key → digest and result). An id names its content for ever: a known
// idempotency key with another wire.OutboxItem.Digest, a message id the
// case holds with another wire.MessageDigest (computed from the stored
// message), and a published form's id and version with another
// wire.Form.Digest are refused as conflicts (409) and nothing of the item
// or the form set applies. Beside them it keeps the central copy of every
// case — its unit, patient, guardian, form answers, the status as the patient
// sees it and the thread of messages, sealed at rest (below) — and an index
// from the keyed hash of a personnummer to the cases where that person is
// the patient or the guardian. Every request and
// every patient action is one bbolt transaction: it happens entirely or not
// at all.
//
// # The protocol end
//
// Every event carries its time of record (wire.Event.At): the store's
// Clock read once when it accepts the patient's action, committed with the
// event and shown to the patient as the time they wrote. The gateway counts
// the unit's deadline from it.
//
// APIHandler serves sync/wire's endpoints, protocol v1 and v2 side by side
// (v1 until every gateway has moved). The store keeps v2's event chain:
// an incarnation made with its file (meta bucket) and each event's link
// beside it (a unit's "links" bucket), written in the event's
// transaction; a file from before the chain gets both at Open. A v2 page
// carries the links at its request's cursor and at its own; POST
// /v2/reconcile takes back events a gateway applied that this store lost
// (restored from an older copy: Backup makes one from a read transaction
// while the store serves), re-inserts each idempotently and appends it to
// the stream again; a sealed one unopened, by its route
// (sealedreconcile.go). Every outbox item it accepts is kept, as sent (with
// the staff HSA-IDs a v2 batch names beside it, never shown on the
// patient pages), for
// Options.Retention (DefaultRetention, 90 days; events are never dropped),
// and GET /v2/outbox/confirmed gives a gateway restored from its own
// backup what it sent after it (confirmed.go). PUT /v2/quarantine keeps
// the unit's last report of the acknowledged events its gateway could not
// handle, logs each it names and each that left it, and GET answers it
// (quarantine.go, Store.Quarantine). PUT /v2/sealing-key keeps the
// unit's sealing key statement when it is signed with the request's own
// client certificate, and GET answers it (sealkey.go, Store.SealingKey).
// PUT /v2/sealing switches the unit's sealing (sealing.go): on, every new
// case and follow-up of the unit is sealed to its key at submit and only
// routing and a keyed hash of the personnummer stay in the file; for a
// gateway that asks (PUT /v2/sealing?envelope=3) the events name their
// sealing epoch instead of carrying its encapsulated key, the epoch is
// kept in the unit's epoch table and served by GET /v2/sealing-epochs,
// and a gateway puts it back (PUT) before giving its events back
// (sealepochs.go).
// GET /v2/central-sealing-key publishes the store's own sealing key
// (a file of its own beside the store's), signed with its server
// certificate, and POST /v2/outbox-sealed opens outbox items sealed to it
// and applies them as plain ones (outseal.go, Store.SignSealingKey).
// PUT /v2/booking/bookings-sealed opens the unit's bookings sealed to it
// (bookingstateseal.go); for a sealed unit, booking requests and confirmed
// items are served sealed to the unit's key (bookingseal.go,
// confirmedseal.go). Once a unit's items or bookings came sealed, plain
// ones are refused (409) until the unit switches sealing off
// (outdowngrade.go).
// The care unit is taken from the
// verified client certificate's subject serialNumber (tlsconf.HSAID) and
// from nowhere else; a unit sees, acknowledges and answers only its own
// cases. New events are announced on a websocket stream the moment they are
// committed.
//
// # At rest
//
// What the patient pages show back to a patient (a case's patient copy
// and thread, booking requests and bookings, the reminder choice) is
// sealed with AES-256-GCM under that patient's data key (atrest.go), the
// units' events and confirmed items under the store's own; the
// data keys, wrapped by the store's key-encryption key (a 0600 file or
// Options.KEK), live in a key ring file apart from the bbolt file
// (keyring.go). ForgetPatient drops a patient's key: everything sealed
// under it reads as nothing at once (forget.go); the patient pages offer
// it as "Radera mitt konto" (account.go). A file from before is
// sealed at Open, resumably, then compacted (migrate.go). The store's
// other keys, the patient index key and its sealing key seed, are lines
// of the same ring under the same KEK; an older store's plain files of
// them are moved there at Open and removed (keyfiles.go).
//
// # The patient pages
//
// The pages name every status and message kind, and show each form answer
// (the option's label, Ja/Nej for a box), through sync/wire/labels, by the
// unit's form of the case's type as it is now; the default forms
// (sync/wire/casetype) take their titles from the same names staff see.
// The pages' titles, errors and refusals written in Go come from the one
// catalogue (sync/i18n's central.*), in Swedish, and so do the templates'
// words (central.page.*, through the templates' t func): a template holds
// markup and punctuation only.
//
// PatientHandler serves the pages: html/template only, no script, a strict
// Content-Security-Policy, cross-origin POSTs refused, a __Host- session
// cookie held only in memory, and no personnummer in any URL. When an answer
// or a question from the unit arrives, the patient is told through a
// Notifier with a fixed text that carries no health data.
//
// Logs name case ids and HSA-IDs only: never a personnummer, a name or any
// text a patient or clinician wrote.
package central
