package cases

import (
	"context"
	"errors"
	"strings"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/sync/wire/personnummer"
)

// Errors a Store returns; match with errors.Is.
var (
	ErrNotFound = errors.New("no such case")
	ErrExists   = errors.New("a case with this id already exists")
	ErrConflict = errors.New("the case was changed by someone else; reload it and try again")
)

// Index names a secondary index kept by the store.
type Index string

// The indexes. ByPatient takes a personnummer.Personnummer as its value; the store keeps
// only a keyed hash of it, never the number.
const (
	ByStatus   Index = "status"
	ByAssignee Index = "assignee"
	ByType     Index = "type"
	ByPatient  Index = "patient"
)

// The composite indexes behind the lists (Scan): a case's status with its
// assignee, with its type, or with both, so that a list reads only the
// cases it shows. Their values are made with IndexKey, parts in the order
// of the name; a case without an assignee has no entry in the assignee ones.
const (
	ByStatusAssignee     Index = "status+assignee"
	ByStatusType         Index = "status+type"
	ByStatusTypeAssignee Index = "status+type+assignee"
)

// The due-date indexes behind the lists by due date (DueScan): the open
// cases with a due date, in (due, id) order, all of them (ByDue, value
// "") or those of one case type, one assignee or both (values made with
// IndexKey, parts in the order of the name), so that an overdue or
// due-today list filtered by type or clinician reads only the cases it
// shows.
const (
	ByDue             Index = "due"
	ByTypeDue         Index = "type+due"
	ByAssigneeDue     Index = "assignee+due"
	ByTypeAssigneeDue Index = "type+assignee+due"
)

// IndexKey joins the parts of a composite index value (see ByStatusType).
// No part may hold a NUL byte: statuses, types and HSA-IDs never do.
func IndexKey(parts ...string) string { return strings.Join(parts, "\x00") }

// Walk is where an index walk starts and which way it goes.
type Walk struct {
	After ID   // start after this case in the walk's order; "" from the start
	Desc  bool // highest (newest) id first
}

// DuePos is a place in the due-date order: a due time and a case id.
type DuePos struct {
	Due time.Time
	ID  ID
}

// ReadTx reads cases and the access log inside one consistent snapshot.
type ReadTx interface {
	// Case returns the case with the given id, or ErrNotFound.
	Case(id ID) (*Case, error)
	// Lookup calls fn with the id of every case whose idx value equals
	// value, in id order (oldest first), until fn returns false.
	Lookup(idx Index, value string, fn func(ID) bool) error
	// LookupAny calls fn with the id of every case whose idx value is one
	// of values, in id order (oldest first), each id once, until fn
	// returns false. Stopping early costs only what was read.
	LookupAny(idx Index, values []string, fn func(ID) bool) error
	// DueBefore calls fn for every open case due before t, earliest first,
	// until fn returns false.
	DueBefore(t time.Time, fn func(id ID, due time.Time) bool) error
	// Scan calls fn with the id of every case whose idx value is one of
	// values, in id order (w.Desc: highest first), after w.After, each
	// once, until fn returns false. It reads only as far as fn goes, so a
	// page costs its length, not the index's. ByPatient cannot be scanned.
	Scan(idx Index, values []string, w Walk, fn func(ID) bool) error
	// DueScan calls fn for every open case whose idx value (a due-date
	// index: ByDue and its kin) is value and that is due before limit, in
	// (due, id) order (desc: latest first), after from (the zero DuePos:
	// from the start), until fn returns false. It reads only as far as fn
	// goes.
	DueScan(idx Index, value string, limit time.Time, from DuePos, desc bool, fn func(id ID, due time.Time) bool) error
	// Cases calls fn for every case in id order until fn returns false.
	Cases(fn func(*Case) bool) error
	// AuditByPatient calls fn for the access-log records about a patient,
	// oldest first, until fn returns false.
	AuditByPatient(pnr personnummer.Personnummer, fn func(audit.Record) bool) error
	// AuditByActor calls fn for the records of one actor (an HSA-ID),
	// oldest first, until fn returns false.
	AuditByActor(actor string, fn func(audit.Record) bool) error
	// AuditByPatientDesc and AuditByActorDesc call fn for the records
	// with a sequence number below before (0: from the newest), newest
	// first, until fn returns false. They read only as far as fn goes: a
	// page costs its length. AuditByPatientDesc's before must be one of
	// the patient's records, else the error wraps ErrInvalidInput.
	AuditByPatientDesc(pnr personnummer.Personnummer, before uint64, fn func(audit.Record) bool) error
	AuditByActorDesc(actor string, before uint64, fn func(audit.Record) bool) error
	// SyncCursor returns the sequence number of the last central event
	// applied (0 before the first).
	SyncCursor() (uint64, error)
	// Outbox calls fn for each queued outbound change, oldest first, until
	// fn returns false.
	Outbox(fn func(Outbound) bool) error
	ContinuityReadTx
	// Quarantined calls fn for each quarantined central event, oldest
	// first (Seq set), until fn returns false.
	Quarantined(fn func(Quarantined) bool) error
	// ClientWrite returns what an integration system's write with its own
	// identifier did (systemwrite.go), by ClientWrite.Key; false if none.
	ClientWrite(key string) (ClientWrite, bool, error)
}

// Tx is a read-write transaction: all its writes commit together, durably,
// or not at all.
type Tx interface {
	ReadTx
	// Insert stores a new case (Version 1) and its index entries; ErrExists
	// if the id is taken.
	Insert(c *Case) error
	// Update stores a changed case whose Version is one more than the stored
	// one, else ErrConflict; index entries follow the change.
	Update(c *Case) error
	// AppendAudit appends an entry to the hash-chained access log.
	AppendAudit(e audit.Entry) error
	// SetSyncCursor records the last central event applied.
	SetSyncCursor(seq uint64) error
	// Enqueue queues a change for the central store; a key already queued
	// is an error.
	Enqueue(o Outbound) error
	// Dequeue removes the change with the given key; an absent key is not
	// an error.
	Dequeue(key string) error
	// Requeue replaces the queued change with o's key by o, in its place
	// in the outbox (the order of changes is kept); an error if none is
	// queued under the key.
	Requeue(o Outbound) error
	ContinuityTx
	// Quarantine keeps a central event that cannot apply, sealed, under
	// a new Seq; an event id already quarantined is kept once.
	Quarantine(q Quarantined) error
	// Unquarantine removes the quarantined event numbered seq; an absent
	// one is not an error.
	Unquarantine(seq uint64) error
	// PutClientWrite records w under w.Key; ErrExists if the key is taken.
	PutClientWrite(w ClientWrite) error
	// PruneClientWrites drops up to max client writes recorded before
	// before, the oldest first, and returns how many it dropped.
	PruneClientWrites(before time.Time, max int) (int, error)
}

// InsertPreparer is a Store that can make, outside any transaction, what
// inserting a new case takes of the case alone (agent/store: its index
// entries, the blinded personnummer, its statistics tally), so that the
// transaction that inserts it does not: the sync's prepare stage runs
// ahead of its one transaction goroutine (prepareInbound). The case must
// not change between PrepareInsert and InsertPrepared; the store checks
// what the prepared work was made of and makes it again if it did.
type InsertPreparer interface {
	PrepareInsert(c *Case) PreparedInsert
}

// PreparedInsert is a store's prepared work for one new case, opaque to
// the service.
type PreparedInsert any

// PreparedInserter is a Tx that inserts a case with the work its store
// prepared (InsertPreparer); nil p is Insert.
type PreparedInserter interface {
	InsertPrepared(c *Case, p PreparedInsert) error
}

// Store is the durable, encrypted home of the cases (agent/store).
// Update returns only after the transaction is committed to disk.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	View(ctx context.Context, fn func(ReadTx) error) error
	// Shared is Update for a read's access-log entries (the read itself
	// runs in View before, readlog.go): the store may commit fn together
	// with other callers' (a group commit, one fsync for many reads) and
	// run it more than once, so fn sets its results afresh each time. It
	// returns once fn's writes are durable; an error from fn writes
	// nothing of it.
	Shared(ctx context.Context, fn func(Tx) error) error
}
