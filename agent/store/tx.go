package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// maxIDLen bounds a case id used as a key.
const maxIDLen = 64

// tx implements cases.Tx over one bbolt transaction.
type tx struct {
	btx  *bolt.Tx
	s    *sealer
	unit string
	// head is the access log's head as of this transaction, loaded on the
	// first append and sealed back once, by flush, before commit.
	head      audit.Head
	headDirty bool
	// cw encodes and seals new cases on another goroutine; nil until the
	// first Insert.
	cw *caseWriter
	// auditIdx holds the access-log index keys not yet put (auditidx.go),
	// idxPuts the new cases' index entries (caseidxputs.go).
	auditIdx auditIndexPuts
	idxPuts  pendingIndexPuts
	// idBound is the id index's last key, if known (casekey.go).
	idBound idBound
	// recent is what the commit before left known of the id index, if
	// this is DB.Update's transaction and that commit the one right
	// before it; keepsRecent says t leaves what it knows, idFloor the
	// index's last id before t put any (recentids.go).
	recent       *recentIDs
	keepsRecent  bool
	idFloor      []byte
	idFloorKnown bool
	// idsChanged is DB.idsChanged: the transaction that last changed the
	// id index otherwise than by DB.Update's inserts.
	idsChanged *atomic.Int64
	// spareIDs is the set of pending case ids the last write transaction
	// left, for cw (txscratch.go); scratchOf is the DB t took its scratch
	// from, to give it back to (nil: none taken).
	spareIDs  map[cases.ID]bool
	scratchOf *DB
	// mac and blinds serve blind: the keyed hash, and the numbers already
	// blinded in this transaction.
	mac    hash.Hash
	blinds map[string][]byte
	// lastPatient is the last inserted case's patient and its blinded
	// number (InsertPrepared): the access-log entry of its arrival, which
	// follows, names the same patient.
	lastPatient struct {
		pnr     string
		blinded []byte
	}
	// stats is the net change of the statistics' aggregates (stats.go),
	// written by flushStats; statsUpTo is how far a count under way got
	// (statsPartial), loaded once (statsLoaded).
	stats                     *statsSums
	statsUpTo                 cases.ID
	statsLoaded, statsPartial bool
	log                       *slog.Logger
	// opened counts the access-log records opened (DB.auditOpened),
	// decoded the cases (DB.casesDecoded), built the inserts not
	// prepared (DB.insertsBuilt), looked the case ids looked up
	// (DB.idLookups).
	opened, decoded, built, looked *atomic.Uint64
	// blinds counts the numbers blinded here (DB.txBlinds).
	blindsMade *atomic.Uint64
}

func (db *DB) newTx(btx *bolt.Tx) *tx {
	t := &tx{btx: btx, s: db.sealer.Load(), unit: db.unit, log: db.log, opened: &db.auditOpened, decoded: &db.casesDecoded, built: &db.insertsBuilt, looked: &db.idLookups, blindsMade: &db.txBlinds, idsChanged: &db.idsChanged}
	if btx.Writable() {
		db.takeScratch(t)
		t.scratchOf = db
	}
	return t
}

// bucket returns the bucket name, its pending index entries put first
// (caseidxputs.go): a failed put is kept in t.idxPuts and given up with
// the transaction (putPending).
func (t *tx) bucket(name string) *bolt.Bucket {
	if t.idxPuts.holds(name) {
		_ = t.putIndexPending()
	}
	return t.btx.Bucket([]byte(name))
}

// indexValues are the fields of a case that its index entries are made of.
type indexValues struct {
	status   cases.Status
	assignee string
	typ      casetype.Type
	group    string // the queue the case was routed to (queueidx.go)
	due      time.Time
	patients [][]byte // blinded personnummer of patient and guardian
	fresh    bool     // received and never assigned (cases.IsFresh; listidx.go)
}

func (t *tx) indexValuesOf(c *cases.Case) indexValues { return indexValuesWith(c, t.blind) }

// indexValuesWith is c's index values, its personnummer blinded by blind.
func indexValuesWith(c *cases.Case, blind func(pnr string) []byte) indexValues {
	v := indexValues{status: c.Status, assignee: c.Assignee, typ: c.Type, group: c.Group, due: c.DueAt, fresh: cases.IsFresh(c)}
	v.patients = append(v.patients, blind(string(c.Patient.PNR)))
	if c.Guardian != nil && c.Guardian.PNR != c.Patient.PNR {
		v.patients = append(v.patients, blind(string(c.Guardian.PNR)))
	}
	return v
}

// indexEntry is one key (and value, for the patient index) in one index
// bucket.
type indexEntry struct {
	bucket string
	key    []byte
	value  []byte
}

func (e indexEntry) same(o indexEntry) bool {
	return e.bucket == o.bucket && bytes.Equal(e.key, o.key) && bytes.Equal(e.value, o.value)
}

func catKey(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}

var sep = []byte{0}

func (v indexValues) entries(id cases.ID) []indexEntry {
	bid := []byte(id)
	// By status, by type and by due date: from idx-status-type and
	// idx-type-due; new: marked in idx-status-type (derivedidx.go).
	var out []indexEntry
	if v.assignee != "" {
		out = append(out, indexEntry{bucketByAssignee, catKey([]byte(v.assignee), sep, bid), nil})
	}
	out = append(out, v.listEntries(bid)...)  // listidx.go
	out = append(out, v.dueEntries(bid)...)   // dueidx.go
	out = append(out, v.queueEntries(bid)...) // queueidx.go
	// By patient: in the id index's entry (patientidx.go).
	return out
}

func timeKey(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano()))
}

// blind returns the blinded personnummer (sealer.blindWith), with one
// keyed hash per transaction and each number hashed once.
func (t *tx) blind(pnr string) []byte {
	if pnr == t.lastPatient.pnr && t.lastPatient.blinded != nil {
		return t.lastPatient.blinded
	}
	if b, ok := t.blinds[pnr]; ok {
		return b
	}
	if t.mac == nil {
		t.mac = t.s.newBlinder()
		t.blinds = make(map[string][]byte)
	}
	b := t.s.blindWith(t.mac, pnr)
	if t.blindsMade != nil {
		t.blindsMade.Add(1)
	}
	t.blinds[pnr] = b
	return b
}

func checkID(id cases.ID) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("case id must be 1 to %d bytes", maxIDLen)
	}
	return nil
}

// Case returns the case with the given id.
func (t *tx) Case(id cases.ID) (*cases.Case, error) {
	if err := checkID(id); err != nil {
		return nil, cases.ErrNotFound
	}
	if t.pendingCase(id) {
		if err := t.putPending(); err != nil {
			return nil, err
		}
	}
	key, raw, err := t.caseRecord(id)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, cases.ErrNotFound
	}
	return t.decodeCase([]byte(id), key, raw)
}

// decodeCase opens and decodes one sealed case record, stored under key,
// which must be case id's.
func (t *tx) decodeCase(id, key, sealed []byte) (*cases.Case, error) {
	if t.decoded != nil {
		t.decoded.Add(1)
	}
	plain, err := t.s.open(bucketCases, key, sealed)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", id, err)
	}
	c, fast := decodeCaseRecord(plain)
	if !fast {
		if caseDecodedSlow != nil {
			caseDecodedSlow()
		}
		c = new(cases.Case)
		if err := json.Unmarshal(plain, c); err != nil {
			return nil, fmt.Errorf("case %s: undecodable record: %w", id, err)
		}
	}
	if string(c.ID) != string(id) {
		return nil, fmt.Errorf("case %s: record names another case: %w", id, ErrTampered)
	}
	if c.SentAt.IsZero() {
		// Stored before cases kept the central store's time of record:
		// the due date was counted from arrival, which stands in for it.
		// No schema bump: an older clinicgw ignores the new member.
		c.SentAt = c.ReceivedAt
	}
	return c, nil
}

// putCase seals c under key, its record's key.
func (t *tx) putCase(key []byte, c *cases.Case) error {
	plain, err := encodeCase(c)
	if err != nil {
		return err
	}
	sealed, err := t.s.seal(bucketCases, key, plain)
	if err != nil {
		return err
	}
	b := t.bucket(bucketCases)
	b.FillPercent = 1 // sequence numbers only grow: new cases are appends
	return b.Put(key, sealed)
}

// indexFill is the case indexes' FillPercent: their keys mostly grow (ids
// and times are time-ordered), so pages split full, not at bbolt's half.
const indexFill = 0.9

func (t *tx) putIndex(entries []indexEntry) error {
	for _, e := range entries {
		b := t.bucket(e.bucket)
		b.FillPercent = indexFill
		if err := b.Put(e.key, e.value); err != nil {
			return fmt.Errorf("index %s: %w", e.bucket, err)
		}
	}
	return nil
}

// Insert stores a new case and its index entries.
func (t *tx) Insert(c *cases.Case) error { return t.InsertPrepared(c, nil) }

// InsertPrepared is Insert with what PrepareInsert made of c ahead of the
// transaction (prepinsert.go); what p does not fit is made here.
func (t *tx) InsertPrepared(c *cases.Case, p cases.PreparedInsert) error {
	if err := checkID(c.ID); err != nil {
		return err
	}
	if c.Version == 0 {
		c.Version = 1
	}
	if c.Version != 1 {
		return fmt.Errorf("insert case %s: a new case has version 1, not %d", c.ID, c.Version)
	}
	// A pending case's id is not yet in the id index: pendingCase finds it.
	if t.pendingCase(c.ID) || t.rawCaseKey(c.ID) != nil {
		return fmt.Errorf("insert case %s: %w", c.ID, cases.ErrExists)
	}
	pi, ok := p.(*preparedInsert)
	if !ok || !pi.fits(t, c) {
		if t.built != nil {
			t.built.Add(1)
		}
		pi = prepareInsert(c, t.s, t.unit, t.blind)
	}
	if err := t.queueCase(c, pi.patients); err != nil {
		return err
	}
	t.lastPatient.pnr, t.lastPatient.blinded = string(c.Patient.PNR), pi.patients[:blindLen]
	if t.statsCounts(c.ID) {
		if t.stats == nil {
			t.stats = newStatsSums()
		}
		t.stats.add(pi.tally, +1)
	}
	for _, e := range pi.entries {
		// Put sorted with the pending values (caseidxputs.go).
		if err := t.deferPut(e.bucket, e.key, e.value); err != nil {
			return err
		}
	}
	return nil
}

// Update stores a changed case whose Version is one more than the stored one.
func (t *tx) Update(c *cases.Case) error {
	if err := checkID(c.ID); err != nil {
		return err
	}
	if t.pendingCase(c.ID) {
		if err := t.putPending(); err != nil {
			return err
		}
	}
	key, raw, err := t.caseRecord(c.ID)
	if err != nil {
		return err
	}
	if raw == nil {
		return fmt.Errorf("update case %s: %w", c.ID, cases.ErrNotFound)
	}
	prev, err := t.decodeCase([]byte(c.ID), key, raw)
	if err != nil {
		return err
	}
	if c.Version != prev.Version+1 {
		return fmt.Errorf("update case %s: %w", c.ID, cases.ErrConflict)
	}
	if err := t.putCase(key, c); err != nil {
		return err
	}
	t.noteStats(c.ID, prev, c)
	// Touch only the index entries that change.
	oldVals, newVals := t.indexValuesOf(prev), t.indexValuesOf(c)
	if !slices.EqualFunc(oldVals.patients, newVals.patients, bytes.Equal) {
		if err := t.putCaseID(c.ID, key, newVals.patients); err != nil {
			return err
		}
	}
	oldEntries, newEntries := oldVals.entries(c.ID), newVals.entries(c.ID)
	var add []indexEntry
	for _, n := range newEntries {
		if !slices.ContainsFunc(oldEntries, n.same) {
			add = append(add, n)
		}
	}
	for _, o := range oldEntries {
		if slices.ContainsFunc(newEntries, func(n indexEntry) bool { return n.bucket == o.bucket && bytes.Equal(n.key, o.key) }) {
			continue // overwritten by add, or unchanged
		}
		if err := t.bucket(o.bucket).Delete(o.key); err != nil {
			return fmt.Errorf("index %s: %w", o.bucket, err)
		}
	}
	return t.putIndex(add)
}

// Lookup calls fn for the id of every case whose idx value equals value,
// in id order.
func (t *tx) Lookup(idx cases.Index, value string, fn func(cases.ID) bool) error {
	if idx == cases.ByPatient {
		scanPatient(t.bucket(bucketCaseIDs), t.blind(value), casePatients, func(k []byte) bool { return fn(cases.ID(k)) })
		return nil
	}
	return t.LookupAny(idx, []string{value}, fn)
}

// LookupAny calls fn for the id of every case whose idx value is one of
// values, in id order, each once, until fn returns false. It merges one
// cursor per value (Scan), so a caller that stops early (a list's first
// page) reads only as far as it uses, whatever the index holds.
func (t *tx) LookupAny(idx cases.Index, values []string, fn func(cases.ID) bool) error {
	switch idx {
	case cases.ByStatus, cases.ByAssignee, cases.ByType:
		return t.Scan(idx, values, cases.Walk{}, fn)
	case cases.ByPatient: // one full scan, whatever the values
		var ids []cases.ID
		for _, v := range slices.Compact(slices.Sorted(slices.Values(values))) {
			if err := t.Lookup(idx, v, func(id cases.ID) bool { ids = append(ids, id); return true }); err != nil {
				return err
			}
		}
		slices.Sort(ids)
		for _, id := range slices.Compact(ids) {
			if !fn(id) {
				return nil
			}
		}
		return nil
	}
	return fmt.Errorf("lookup: unknown index %q", idx)
}

// DueBefore calls fn for every open case due before limit, earliest first.
func (t *tx) DueBefore(limit time.Time, fn func(cases.ID, time.Time) bool) error {
	return t.DueScan(cases.ByDue, "", limit, cases.DuePos{}, false, fn)
}

// Cases calls fn for every case in id order.
func (t *tx) Cases(fn func(*cases.Case) bool) error {
	if err := t.putPending(); err != nil {
		return err
	}
	c := t.caseCursor()
	for id, k, v := c.First(); id != nil; id, k, v = c.Next() {
		if v == nil {
			return missingRecord(id, k)
		}
		cs, err := t.decodeCase(id, k, v)
		if err != nil {
			return err
		}
		if !fn(cs) {
			return nil
		}
	}
	return nil
}

var errNoAuditHead = errors.New("the access log has records but no head")
