// Package store is the care unit's encrypted local store: cases, their
// indexes and the access log in one bbolt file, every value sealed with
// AES-256-GCM.
//
// Each sealed value carries a format byte, the key-ring term that sealed it
// and a random 96-bit nonce; its additional data is the bucket and key it is
// stored under, so a value flipped or moved to another key fails to open.
// The key ring's data keys are wrapped by a key-encryption key (KEK) that
// never touches the file: a key file today, a PKCS#11 token later. Rotating
// adds a term; old terms keep reading, new writes use the newest.
//
// The unit's sealing keys (sealkeys.go, package sync/seal) are kept in the
// meta bucket beside the key ring: public halves in clear, private halves
// wrapped by the KEK with the unit and key id as additional data, one of
// them current; rotation keeps the older ones opening, retirement
// destroys one and has the next Open compact the file.
// The central store's sealing epochs that the unit's sealed events name
// (sync/seal version 3) are kept as settings, one per epoch
// (sealepochs.go), so the journal's events open again after a restore.
//
// What an integration system's write with its own identifier did
// (cases.ClientWrite: the case and message it made, a digest of the
// request) is kept in the client-writes bucket (clientwrite.go), sealed,
// under a hash of the system and the identifier, so that a retry after
// a restart sends nothing twice, and indexed by when it was made
// (client-writes-at, plain: a time and the hash), so that the case
// service's prune drops it after its ClientWriteRetention, oldest first
// (clientwriteprune.go).
//
// Central events the case service cannot apply are kept in the
// quarantine bucket (quarantine.go), sealed like every other value and
// resealed with them; only their central event ids and reasons are in
// clear, in an index that the figures count.
//
// The statistics' aggregates (stats.go, statsbuild.go) are kept in the
// transaction of every write of a case (Insert, Update, PurgeCases), so
// DB.AddStats answers cases.Service.Stats without opening a case; they
// are counted at Open for a store that lacks them, resumably, and
// RecountStats compares them with a full recount. Handling times are
// kept as histograms per answer day and per answer week, staff group
// and type (cases.HandlingHist), so a period reads its weeks' and edge
// days' buckets, not every answer, and each group's handling times come
// from its own histograms. Those before the current week are summed once
// and kept in memory, reused while their sealed values are byte for byte
// those summed (statscache.go): a view decodes the current week's.
// The inbox's counts come from aggregates kept the same way
// (statsinbox.go): the cases of the inbox's statuses per status, type,
// group, new or not, queued or not and due date, a few keys however many
// cases are open.
//
// Case records are keyed by arrival order (casekey.go, schema 3): a
// sequence number and the id, with an index of case ids, so a backlog's
// commits append instead of rewriting leaves all over a tree keyed by
// ids that are ordered only to the millisecond; the index is checked
// against the records at every Open, and a schema-2 store's records are
// moved at Open, resumably. An id index entry holds the case's blinded
// personnummer after its record's key (schema 7, patientidx.go), where
// idx-patient, keyed by the same ids, held them: a schema-6 store's are
// folded in at Open, resumably. Whether a new case's id is free is known
// without a search of the index where the commit before put the ids
// above its last before (recentids.go): a backlog's commits end
// mid-millisecond, and half its new ids were searched for.
//
// A backlog from the central store is bound by the one goroutine that
// runs the transactions, and on a busy disk by the bytes its commits
// write (TestBacklogPagesWritten logs them per bucket and case). So a
// write transaction encodes and seals new cases, access-log records and
// the sync logs' records (the journal's copy of each central event) on
// a second goroutine and only puts them (casewriter.go), reusing its
// buffers and sealing into buffers pooled by size that bbolt's commit
// gives back (sealedpool.go); a new case's record copies the name,
// answers and text its central event holds encoded (cases.WireTexts,
// which the transaction takes with the insert) instead of quoting them
// again, and an access-log record audit.NextMade made is encoded without
// its hash computed again; a new case's
// index entries, blinded personnummer and statistics tally are made
// before its transaction, by the sync's prepare stage (PrepareInsert,
// prepinsert.go), and checked to fit the case as it is; its id-index
// and case-index entries are put with the sealed values, each bucket's
// sorted (caseidxputs.go; a read of such a bucket puts them first), so
// that bbolt appends them instead of moving a node's entries for each;
// indexes whose keys mostly grow split their pages full (FillPercent
// 0.9, 1 for sequence keys), not at bbolt's half; and the file grows
// 128 MiB at a time, since bbolt syncs it whole at every growth
// (allocSize), and is mapped 1 GiB ahead, since bbolt copied the nodes
// of the commit under way to the heap at every new mapping
// (mapAheadSize).
//
// The sync journal keeps a plain new case or follow-up that applied
// without the content its case record holds, with the SHA-256 of the
// event as the central store sent it (schema 4; cases.JournalRecordCase):
// a reconciliation rebuilds the event from the case record, and a
// rebuild that does not match the hash is damage (isValueDamage), never
// given back (a record after the first of its page keeps the chain's
// link before its event and a hash of only its own bytes instead:
// cases.journalSlimLinked). A purge turns the records of the cases it removes back into
// whole events first (journalfull.go). A schema-3 store's records are all
// whole, which schema 4 reads as they are: its migration is the bump.
//
// A case record is read back by a decoder of exactly the form the
// store's encoder writes (casejsonin.go), not by json.Unmarshal's
// reflection, which was 12 % of the gateway's CPU under load; a record
// in any other form (an older release's, or one it does not expect) goes
// to json.Unmarshal, so a case reads the same either way.
//
// Lists read through composite indexes of what they show (listidx.go:
// status with assignee, type or both), walked either way from any case id,
// so a page costs its length, not the history behind it; a store made
// before them gets them at its first open, from its older indexes. The
// inbox's new cases (received, never assigned) are marked in the value of
// their status-and-type entry, so that the inbox counts them without
// opening one. The overdue and due-today lists filtered by case type or
// assignee read through due-date indexes of the open cases by type,
// assignee or both (dueidx.go), filled from the others at a first open.
// A status's, a type's and the unfiltered due-date list are the few
// ranges of the status-and-type and type-and-due indexes, merged
// (derivedidx.go, schema 5): a received case puts three case-index
// entries (four before schema 7), each a cursor search and a leaf
// rewritten at its commit on the goroutine that applies a backlog, where
// schema 4 put eight.
// Access-log extracts read the same way, newest first: a staff member's
// records by HSA-ID and sequence number, kept as runs of consecutive
// records (schema 7, auditactor.go: a backlog's arrivals, all the
// system's, are one entry per commit), a patient's as a chain from the
// patient's newest record back (auditpatient.go), chained at first open
// for an older store; the newest records stay unchained and are scanned
// (fewer than there are patients, at least 4096, at most 16384), so the
// chain's heads, whose bucket a move rewrites nearly whole, move once per
// that many records rather than at every commit.
//
// A purge of cases an earlier read saw (PurgeSeen, purgeseen.go; the
// archive's export) opens none that is unchanged since: the read noted
// each case's index values, statistics tally and its sealed record's
// stamp (header, nonce, tag), and a record with the same stamp is the
// same record. A case written since is decoded, and kept if its Version
// moved.
//
// The booking diary's records (diary.go, package agent/booking) are in
// buckets of their own, sealed, with clear indexes of its times that hold
// no patient data; DiaryUpdate runs a booking decision in one write
// transaction.
//
// Patients are found through a keyed HMAC of the personnummer, never the
// number itself. Every write returns only after bbolt has committed it to
// disk (NoSync is never set), so an acknowledged case survives a crash.
// A power cut too: bbolt never syncs the file's folder, so Open syncs it,
// or a store file just created would vanish with everything acknowledged
// in it (TestPowerCutLosesNoAcknowledgedCase, on agent/powercut's disk,
// with a NoSync control that must lose cases).
//
// A damaged file never makes the process panic. Open checks an existing
// file's structure from its raw bytes (package boltfile) before bbolt maps
// it, and that every sealed value opens before anything is written; a
// damaged, empty or foreign file is a *DamagedError naming it, and is left
// as it was. While the store is open, every bbolt transaction runs with
// bbolt's panics and faults on the mapped file recovered into a
// *DamagedError (damage.go): the store is then marked damaged (Damaged,
// for the health check) and refuses writes. Check (store check) is the
// whole verification without a change to the file.
//
// Backup (backup.go) copies the store in one read transaction (bbolt's
// Tx.WriteTo) while writers go on, with a manifest: unit, time, schema,
// sync cursor, size and SHA-256. Nothing is decrypted to make it; it is
// as encrypted as the store and holds no key-encryption key. Restore
// (restore.go) checks a backup in full with the KEK (Check) before it
// replaces anything, keeps the replaced file aside and records the restore
// in the access log. A long copy holds its read transaction: bbolt's
// remap, when the file must grow past its mapping during the copy, waits
// for it (rare: the mapping grows in doubling steps).
package store
