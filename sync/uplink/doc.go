// Package uplink is the gateway's end of the sync with the central patient-side store: it pulls
// the care unit's new cases, follow-ups and withdrawals into the encrypted
// local store, pushes answers and status changes back, listens on the
// central store's websocket stream so that a new case arrives at once, and
// keeps working while the central store is unreachable.
//
// # Pull
//
// The cursor is the sequence number of the last central event applied; it
// lives in the local store, in the same transaction as the events
// (Cases.ApplyInbound). A pull asks for the events after the cursor, one
// page at a time, applies each page in durable transactions and only
// then acknowledges the page's cursor to the central store. What it holds
// is bounded by bytes (membound.go): the page size asked for follows the
// events' size, and a transaction takes at most about 2 MiB of events,
// a large page being split, each part moving the cursor and the chain
// head to its own last event; on a backlog a transaction waits briefly
// for the pages that fill it, so that it is whole even when the fetch is
// the slower side (a commit costs two fdatasyncs and rewrites the pages
// of every index it touches). A page's body is read into a pooled
// buffer, given back once its events are stored (pagebuf.go). Each event's
// time of record (wire.Event.At) travels as cases.Inbound.At: the case
// service counts due dates from it, not from when the page was pulled. Delivery is at
// least once and applying is idempotent, so a crash or a cut connection at
// any point loses nothing and duplicates nothing: the next pull starts from
// the stored cursor. The next page is fetched, and its sealed events
// opened (preopen.go), while the current one is being applied.
//
// # Continuity and reconciliation
//
// The uplink speaks protocol v2: every page says where it stands in the
// central store's event chain. The link at the cursor (cases.SyncHead) is
// stored with the events; a page whose base is not that link (or that has
// none: the central store is behind) is not applied (continuity.go). Every
// stream connect starts a pull, so a central store restored from an older
// copy is found at once, with or without new events. The uplink then
// pauses the push, sets Status.Continuity, logs once, and reconciles
// (reconcile.go): the last event both hold, found by a binary search over
// the journal of applied events; the journal's events after it given back
// (POST wire.PathReconcile2); every retained (confirmed) outbox item sent
// again; the cursor moved back to the common event (Cases.ResetSync), so
// the central store's events after it are pulled. Nothing is lost for as
// long as the journal and the retained items reach back
// (cases.ServiceConfig.SyncRetention); a run stopped half way is run
// again from the start, and the central store answers what it has as
// duplicates.
//
// # After a restore of the gateway's store
//
// A store restored from a backup (Config.Restored) has the backup's cursor
// and chain head: an older link of the same chain, so the continuity check
// passes and the events after it are pulled again. After the first
// complete pull, and before anything is pushed, the uplink fetches the
// unit's items the central store confirmed since the backup (GET
// wire.PathConfirmed2) and the case service puts back those the store
// lacks (Recoverer; recover.go); Restored.Done then records it durably.
// So that the author of each message and the assignee of each case come
// back too, every push (and every resend of a reconciliation) names them
// by HSA-ID beside the items (wire.OutboxBatch2, staffOf).
//
// # Push
//
// Every change a patient can see waits in the store's outbox (queued in the
// same transaction as the change) until the central store confirms it,
// accepted or duplicate: only then is it removed (Cases.ConfirmOutbound).
// Items go in batches of at most wire.MaxOutboxItems, oldest first, with
// at most one item per case in a batch, so that the order of a case's
// changes is kept. An item the central store rejects is logged (key, case
// id and problem type), counted in Status.Rejected and held back for
// Config.MaxBackoff before it is tried again; the case's later items wait
// behind it, other cases' items go on. An item rejected as a conflict (a
// 409 problem: its key or message id names other content there) is parked
// instead: logged once with its case id and key only, counted in
// Status.Conflicts (its case in Status.ConflictCases), and kept parked in
// the store (Cases.ParkOutbound), so it is never sent again, nor logged
// again, across restarts, until region IT releases it
// (cases.Service.UnparkOutbound, `clinicgw quarantine retry`). A form set refused as a conflict waits for the
// next SetForms (Status.FormsConflict). Central events the case service
// finds in conflict with what is stored are counted in
// Status.InboundConflicts; those and every other event it cannot apply
// are kept in its quarantine with the page (Status.Quarantined), never
// skipped, and retried once at every start (Cases.RetryQuarantine). The
// page is acknowledged all the same; the pull loop then reports the
// whole quarantine, from the store, to the central store (PUT
// wire.PathQuarantine2, quarantine.go) whenever it differs from what the
// central store last took in this run, so once at every start too.
//
// # The unit's sealing key
//
// With Config.SealingKeys, at every start the uplink checks what the
// central store publishes as the unit's sealing key against the unit's
// client certificate and its current key (sealkey.go): one it did not
// sign is refused (logged, counted in Status.SealingKeyRefusals, never
// trusted) and the uplink publishes its own statement and checks again;
// a central store of the previous release (404) is skipped with a log
// line. Once the key is settled it sets the unit's sealing switch to
// Config.Sealing (sealed.go); sealed events are opened with the key ring
// before they apply, and one that does not open is quarantined; an event
// that names its sealing epoch (envelope version 3, asked for with the
// switch) is opened once the epoch's record is found — kept in the
// gateway's store, else fetched from the central store once and kept —
// and checked against its id; the give-back of a reconciliation puts
// back the epochs its events name first (sealepochs.go). The check
// runs again after a reconciliation and when an event arrives sealed to a
// retired or unknown key (sealrecheck.go), so a central store that went
// back to a key from before a rotation is put right without a restart.
//
// With Config.Sealing the outbox goes sealed too (outseal.go): each item
// sealed to the central store's own key, whose statement is verified
// against the pinned central CA (not the TLS peer's certificate), posted
// to wire.PathOutboxSealed2. Once it has sealed, the uplink never posts
// plain again while sealing is on (a durable mark, OutboundMark): a
// central store without a key, or answering 404, makes the items wait.
// The status counts the items sent sealed and plain and those refused,
// and names the verified central key (outcount.go). The central store
// refuses plain items once a unit's came sealed, until the unit switches
// sealing off. The unit's bookings go the same way (bookingstateseal.go); booking
// requests and confirmed items arrive with their personal parts sealed to
// the unit and are opened before they are decided or put back
// (bookingsealed.go, confirmedsealed.go).
//
// # Stream and fallback
//
// A websocket (gorilla/websocket, same TLS configuration, no Origin header)
// to wire.PathStream announces the central head: hello on connect, events
// when new ones are committed. An announcement beyond the cursor starts a
// pull at once. Without pings or messages for wire.StreamIdleTimeout the
// stream is dropped; while it is down, the uplink polls every
// Config.PollInterval and redials with exponential backoff and full jitter
// (see backoff) up to Config.MaxBackoff. After every (re)connect the unit's
// forms (Config.Forms, or the latest SetForms) are published; SetForms
// publishes a new set at once. A unit's catalogue of services
// (Config.Services, SetServices) goes first on wire.PathServices2; a
// central store that answers 404 there gets the old form set (the forms of
// the case types it knows) on wire.PathForms2 instead, from then on.
// The unit's contact details (SetContact)
// go right after them, on their own endpoint, which a central store of
// the release before does not have (contact.go).
//
// Online booking (booking.go, Config.Booking): each push round decides the
// patients' booking requests waiting at the central store through the
// unit's booking authority (agent/booking) and posts the decisions; the
// free times are published after every connect, after a decision and on
// BookingChanged. The stream is dialled with announce=booking, so a
// central store that knows it announces each new request (type booking)
// and the push round runs at once, not at the next PushInterval. A central
// store without booking answers 404: logged once, left alone until the
// next connect. After the free times the unit's bookings of patients are
// put (bookingstate.go, a BookingStateSource); a central store without
// that endpoint answers 404, logged once, and the free times still go.
//
// Contact reports, cheaply, whether the last exchange with the central
// store got through, when it was last heard from (a stream message or
// ping, or an answer to a request) and how much waits in the outbox: the
// staff's header badge polls it every second on every open page.
//
// # Logs
//
// Logs and Status carry case ids, counts, cursors and problem types only:
// never a name, a personnummer or any text a patient or clinician wrote.
package uplink
