package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
)

// Case records are kept under their arrival order, not their ids
// (schema 3). The central store's ids are time-ordered only to the
// millisecond: a backlog's cases of one millisecond come in random order,
// and spread over the commits of a sync, so that keyed by id each commit
// put its cases among those of the commit before and rewrote those leaf
// pages (measured in TestBacklogPagesWritten: the cases bucket wrote 1.9
// times its records' bytes). Keyed by a sequence number that only grows
// (bbolt's sequence of the bucket), a new case is an append to full pages
// (FillPercent 1), and bucketCaseIDs maps each id to its record's key: an
// entry of 60 bytes where the record is kilobytes.
//
// A record's key is the sequence number (8 bytes, big-endian) followed by
// the case id, so its additional data (bucket and key, as for every sealed
// value) binds it to its case too, and the id index is checked against
// the records without opening one (checkCaseIndex, at every Open and in
// Check): an index entry pointed at another case's record, a record
// without an entry or an entry without a record is damage, like a record
// moved to another key. The id a record holds must still be the id it was
// looked up by (decodeCase).
//
// A store of schema 2 keeps its records under their ids in bucketCasesV2;
// Open moves them (keyCasesBySeq), caseMoveBatch at a time, each batch
// in one transaction, oldest id first, the first with the bump to schema 3
// (so an older clinicgw refuses the file from then on), the last removing
// bucketCasesV2. A move cut short goes on at the next Open.

// bucketCasesV2 is where schema 2 kept case records: id → sealed case.
const bucketCasesV2 = "cases"

// caseMoveBatch is how many records one transaction of the move takes.
var caseMoveBatch = 2000

// caseKey returns the sequence key of case id's record; nil if there is
// no such case.
func (t *tx) caseKey(id cases.ID) []byte {
	if t.looked != nil {
		t.looked.Add(1)
	}
	return recordKeyOf([]byte(id), t.bucket(bucketCaseIDs).Get([]byte(id)))
}

// recordKeyOf is the record key in v, case id's entry in the id index:
// the key, then the blinded personnummer (schema 7, patientidx.go). An
// entry too short to hold a key of id's is returned whole, for
// keyOfCase to refuse.
func recordKeyOf(id, v []byte) []byte {
	if len(v) < 8+len(id) {
		return v
	}
	return v[: 8+len(id) : 8+len(id)]
}

// rawCaseKey is caseKey without putting the pending index entries first:
// it does not find a case whose id is pending (pendingCase does). An id
// after the id index's last is not looked up (idBound).
func (t *tx) rawCaseKey(id cases.ID) []byte {
	ids := t.btx.Bucket([]byte(bucketCaseIDs))
	if !t.idBound.known {
		last, _ := ids.Cursor().Last()
		t.idBound.last, t.idBound.known = append(t.idBound.last[:0], last...), true
		t.noteFloor(last)
	}
	if string(id) > string(t.idBound.last) || t.recentFree(id) {
		return nil
	}
	if t.looked != nil {
		t.looked.Add(1)
	}
	return ids.Get([]byte(id))
}

// idBound is the id index's last key as this transaction last read it:
// no id after it is in the index. A backlog's new ids grow (case ids are
// time-ordered), so the check that a new case's id is free, a search
// from the root of the index for each on the one goroutine that applies
// a backlog, is one read of the last key per transaction. Any put to the
// index forgets it (forgetIDBound); a delete leaves it an upper bound.
type idBound struct {
	last  []byte
	known bool
}

// forgetIDBound is called after a put to the id index.
func (t *tx) forgetIDBound() { t.idBound.known = false }

// caseRecord returns the key and sealed record of case id; nil if there
// is no such case.
func (t *tx) caseRecord(id cases.ID) (key, sealed []byte, err error) {
	key = t.caseKey(id)
	if key == nil {
		return nil, nil, nil
	}
	if !keyOfCase(key, []byte(id)) {
		return nil, nil, fmt.Errorf("case %s: its index entry names record %s: %w", id, printKey(key), ErrTampered)
	}
	if sealed = t.bucket(bucketCases).Get(key); sealed == nil {
		return nil, nil, missingRecord([]byte(id), key)
	}
	return key, sealed, nil
}

// keyOfCase reports whether key is a record key of case id.
func keyOfCase(key, id []byte) bool {
	return len(key) == 8+len(id) && bytes.Equal(key[8:], id)
}

// newCaseKey gives case id the next record key and records it in the id
// index.
func (t *tx) newCaseKey(id cases.ID) ([]byte, error) {
	key, err := t.nextCaseKey(id, 0)
	if err != nil {
		return nil, err
	}
	ids := t.bucket(bucketCaseIDs)
	ids.FillPercent = indexFill // ids are time-ordered: mostly appends
	t.forgetIDBound()
	t.changedIDs()
	if err := ids.Put([]byte(id), key); err != nil {
		return nil, fmt.Errorf("case %s: id index: %w", id, err)
	}
	return key, nil
}

// nextCaseKey gives case id the next record key, with room for extra
// bytes after it.
func (t *tx) nextCaseKey(id cases.ID, extra int) ([]byte, error) {
	seq, err := t.bucket(bucketCases).NextSequence()
	if err != nil {
		return nil, err
	}
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(id)+extra), seq), id...), nil
}

// putCaseID puts case id's entry in the id index: its record's key and
// its blinded personnummer (patientidx.go).
func (t *tx) putCaseID(id cases.ID, key []byte, patients [][]byte) error {
	ids := t.bucket(bucketCaseIDs)
	ids.FillPercent = indexFill // ids are time-ordered: mostly appends
	t.forgetIDBound()
	t.changedIDs()
	v := append(slices.Clip(key), patientValue(patients)...)
	if err := ids.Put([]byte(id), v); err != nil {
		return fmt.Errorf("case %s: id index: %w", id, err)
	}
	return nil
}

// deleteCase removes case id's record and its id index entry.
func (t *tx) deleteCase(id cases.ID) error {
	key := t.caseKey(id)
	if key == nil {
		return nil
	}
	if err := t.bucket(bucketCases).Delete(key); err != nil {
		return err
	}
	t.changedIDs()
	return t.bucket(bucketCaseIDs).Delete([]byte(id))
}

// caseCursor walks the cases in id order: the id index, each record read
// by its key. A record missing behind an id comes back as a nil record.
type caseCursor struct {
	ids  *bolt.Cursor
	recs *bolt.Bucket
}

func (t *tx) caseCursor() caseCursor {
	return caseCursor{ids: t.bucket(bucketCaseIDs).Cursor(), recs: t.bucket(bucketCases)}
}

func (c caseCursor) at(id, v []byte) (cid, k, sealed []byte) {
	if id == nil {
		return nil, nil, nil
	}
	key := recordKeyOf(id, v)
	return id, key, c.recs.Get(key)
}

// First, Seek and Next return a case's id, its record's key and the
// sealed record.
func (c caseCursor) First() (id, key, sealed []byte) { return c.at(c.ids.First()) }
func (c caseCursor) Seek(id []byte) ([]byte, []byte, []byte) {
	return c.at(c.ids.Seek(id))
}
func (c caseCursor) Next() (id, key, sealed []byte) { return c.at(c.ids.Next()) }

// missingRecord is a case whose record the id index names but the store
// lacks.
func missingRecord(id, key []byte) error {
	return fmt.Errorf("case %s: its record %s is missing: %w", id, printKey(key), ErrTampered)
}

// checkCaseIndex checks the id index against the case records, keys
// only: every entry names a record of its own case and holds one or two
// blinded personnummer (none before schema 7: while idx-patient holds
// them), and there are as many records as entries (so none is without
// one).
func checkCaseIndex(btx *bolt.Tx) error {
	recs, ids := btx.Bucket([]byte(bucketCases)), btx.Bucket([]byte(bucketCaseIDs))
	if recs == nil || ids == nil {
		return nil // a schema-2 store: the move makes them
	}
	folded := btx.Bucket([]byte(bucketByPatient)) == nil
	n := 0
	c := ids.Cursor()
	for id, v := c.First(); id != nil; id, v = c.Next() {
		key := recordKeyOf(id, v)
		if !keyOfCase(key, id) {
			return fmt.Errorf("case %s: its index entry names record %s: %w", id, printKey(key), ErrTampered)
		}
		if p := len(v) - len(key); p != blindLen && p != 2*blindLen && (folded || p != 0) {
			return fmt.Errorf("case %s: its index entry holds %d bytes of personnummer: %w", id, p, ErrTampered)
		}
		if recs.Get(key) == nil {
			return missingRecord(id, key)
		}
		n++
	}
	if m := recs.Stats().KeyN; m != n {
		return fmt.Errorf("%d case records, but %d in the index of case ids: %w", m, n, ErrTampered)
	}
	return nil
}

// keyCasesBySeq moves the records of a schema-2 store (bucketCasesV2) to
// sequence keys, batch by batch; a store that has none left costs one read.
func (db *DB) keyCasesBySeq(ctx context.Context) error {
	return db.runBatched(ctx, batchedMove{from: bucketCasesV2, schema: 3, what: "key the cases by arrival order",
		started: "store: keying the cases by arrival order (schema 3)", moved: "store: case records moved to arrival order",
		finished: "store: cases keyed by arrival order", step: db.moveCaseBatch})
}

// moveCaseBatch moves caseMoveBatch records of bucketCasesV2, oldest id
// first, and removes the bucket after the last.
func (db *DB) moveCaseBatch(btx *bolt.Tx) (int, bool, error) {
	for _, name := range []string{bucketCases, bucketCaseIDs} {
		if _, err := btx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return 0, false, err
		}
	}
	old := btx.Bucket([]byte(bucketCasesV2))
	type rec struct{ id, sealed []byte }
	var batch []rec
	c := old.Cursor()
	for k, v := c.First(); k != nil && len(batch) < caseMoveBatch; k, v = c.Next() {
		batch = append(batch, rec{bytes.Clone(k), v})
	}
	t := db.newTx(btx)
	recs := btx.Bucket([]byte(bucketCases))
	for _, r := range batch {
		plain, err := t.s.open(bucketCasesV2, r.id, r.sealed)
		if err != nil {
			return 0, false, fmt.Errorf("case %s: %w", r.id, err)
		}
		if t.caseKey(cases.ID(r.id)) != nil {
			return 0, false, fmt.Errorf("case %s is under its id and its sequence number: %w", r.id, ErrTampered)
		}
		key, err := t.newCaseKey(cases.ID(r.id))
		if err != nil {
			return 0, false, err
		}
		sealed, err := t.s.seal(bucketCases, key, plain)
		if err != nil {
			return 0, false, err
		}
		recs.FillPercent = 1 // sequence numbers only grow
		if err := recs.Put(key, sealed); err != nil {
			return 0, false, err
		}
	}
	for _, r := range batch { // deleted after the walk: a cursor must not see its bucket change
		if err := old.Delete(r.id); err != nil {
			return 0, false, err
		}
	}
	if len(batch) < caseMoveBatch {
		return len(batch), true, btx.DeleteBucket([]byte(bucketCasesV2))
	}
	return len(batch), false, nil
}
