package store

import (
	"bytes"

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

// patientValue is the index value for one or two blinded numbers.
func patientValue(blinded [][]byte) []byte {
	return bytes.Join(blinded, nil)
}

// scanPatient calls fn with the key of every entry whose value names
// blinded, in key order, until fn returns false.
func scanPatient(b *bolt.Bucket, blinded []byte, fn func(key []byte) bool) {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		for off := 0; off+blindLen <= len(v); off += blindLen {
			if bytes.Equal(v[off:off+blindLen], blinded) {
				if !fn(k) {
					return
				}
				break
			}
		}
	}
}
