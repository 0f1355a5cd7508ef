package store

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The patient indexes (of cases and of access-log records) are keyed by
// case id or record sequence number, and hold the blinded personnummer(s)
// as the value: blindLen bytes each, patient first, then a guardian.
//
// Keyed the other way round (blinded number first), every batch of new
// cases would insert at random places all over the index and rewrite most
// of its pages at each commit: ingest ran at a third of plain bbolt's rate.
// Keyed by id, new entries append. A lookup of a patient's other cases,
// which is rare, scans the index once: a few milliseconds per hundred
// thousand entries, sequential reads only. The access log's patient index
// also chains each patient's records, newest first, so that an extract
// reads a page, not the index (auditpatient.go).
//
// The cases' patient index is the id index since schema 7: a case's entry
// in bucketCaseIDs holds its record's key and then its blinded numbers,
// where idx-patient, keyed by the same ids, held them apart. A new case
// puts one entry fewer on the goroutine that applies a backlog (a cursor
// search from the root, and a leaf its commit rewrites: 80 bytes written
// per case less, TestBacklogIndexEntriesPerCase, TestBacklogPagesWritten).
// A store of schema 6 or older has idx-patient; Open folds it into the id
// index (foldPatients), foldBatch entries a transaction, the first with
// the bump to schema 7 (so an older clinicgw refuses the file from then
// on), the last deleting idx-patient. A fold cut short goes on at the
// next Open; an id index entry without numbers is damage once idx-patient
// is gone (checkCaseIndex).

// bucketByPatient is where schema 6 and older kept the cases' blinded
// personnummer: case id → blinded numbers.
const bucketByPatient = "idx-patient"

// foldBatch is how many idx-patient entries one transaction of the fold
// takes.
var foldBatch = 5000

// patientValue is the index value for one or two blinded numbers.
func patientValue(blinded [][]byte) []byte {
	return bytes.Join(blinded, nil)
}

// casePatients is the blinded numbers in v, case id's id index entry.
func casePatients(id, v []byte) []byte { return v[len(recordKeyOf(id, v)):] }

// scanPatient calls fn with the key of every entry of b whose blinded
// numbers (patients of its key and value) name blinded, in key order,
// until fn returns false.
func scanPatient(b *bolt.Bucket, blinded []byte, patients func(k, v []byte) []byte, fn func(key []byte) bool) {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		p := patients(k, v)
		for off := 0; off+blindLen <= len(p); off += blindLen {
			if bytes.Equal(p[off:off+blindLen], blinded) {
				if !fn(k) {
					return
				}
				break
			}
		}
	}
}

// foldPatients moves a store's idx-patient entries into its id index
// entries, batch by batch (schema 6 to 7); a store without idx-patient
// costs one read.
func (db *DB) foldPatients(ctx context.Context) error {
	return db.runBatched(ctx, batchedMove{from: bucketByPatient, schema: 7, what: "fold the patient index into the case ids",
		started: "store: folding the patient index into the case ids (schema 7)", moved: "store: patient index entries folded",
		finished: "store: patient index folded into the case ids", step: foldPatientBatch})
}

// foldPatientBatch folds foldBatch entries of idx-patient, in key order,
// into their cases' id index entries, and removes idx-patient after the
// last.
func foldPatientBatch(btx *bolt.Tx) (int, bool, error) {
	pb, ids := btx.Bucket([]byte(bucketByPatient)), btx.Bucket([]byte(bucketCaseIDs))
	type entry struct{ id, patients []byte }
	var batch []entry
	c := pb.Cursor()
	for k, v := c.First(); k != nil && len(batch) < foldBatch; k, v = c.Next() {
		batch = append(batch, entry{bytes.Clone(k), bytes.Clone(v)})
	}
	ids.FillPercent = indexFill
	for _, e := range batch {
		if p := len(e.patients); p != blindLen && p != 2*blindLen {
			return 0, false, fmt.Errorf("case %s: its patient index entry holds %d bytes: %w", e.id, p, ErrTampered)
		}
		v := ids.Get(e.id)
		if v == nil {
			return 0, false, fmt.Errorf("case %s: in the patient index, not in the id index: %w", e.id, ErrTampered)
		}
		key := recordKeyOf(e.id, v)
		if !keyOfCase(key, e.id) {
			return 0, false, fmt.Errorf("case %s: its index entry names record %s: %w", e.id, printKey(key), ErrTampered)
		}
		switch have := v[len(key):]; {
		case len(have) == 0:
			if err := ids.Put(e.id, append(bytes.Clone(key), e.patients...)); err != nil {
				return 0, false, err
			}
		case !bytes.Equal(have, e.patients): // holding them already: the same ones
			return 0, false, fmt.Errorf("case %s: its id and patient index entries differ: %w", e.id, ErrTampered)
		}
	}
	for _, e := range batch { // deleted after the walk: a cursor must not see its bucket change
		if err := pb.Delete(e.id); err != nil {
			return 0, false, err
		}
	}
	if len(batch) < foldBatch {
		return len(batch), true, btx.DeleteBucket([]byte(bucketByPatient))
	}
	return len(batch), false, nil
}
