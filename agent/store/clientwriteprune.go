package store

import (
	"bytes"
	"encoding/binary"
	"time"
)

// Client writes are kept for the case service's ClientWriteRetention,
// then pruned by its prune (cases/continuity.go), oldest first. The
// sealed records are keyed by a hash, in no order of time, so each write
// is also indexed by when it was made: bucketClientWritesAt, key the
// write's At (Unix nanoseconds, 8 bytes big-endian) ‖ its key, no value;
// plain, as it holds a time and a hash, no patient data. Records from
// before the index (a store that took writes before it) are indexed at
// the first prune that finds the index empty and the records not.

// clientWriteAtKey is the index key of the write key made at at.
func clientWriteAtKey(at time.Time, key string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano())), key...)
}

// indexClientWrite records when the write key was made.
func (t *tx) indexClientWrite(at time.Time, key string) error {
	return t.bucket(bucketClientWritesAt).Put(clientWriteAtKey(at, key), []byte{})
}

// PruneClientWrites implements cases.Tx.
func (t *tx) PruneClientWrites(before time.Time, max int) (int, error) {
	idx, recs := t.bucket(bucketClientWritesAt), t.bucket(bucketClientWrites)
	if k, _ := idx.Cursor().First(); k == nil {
		if err := t.indexClientWrites(); err != nil {
			return 0, err
		}
	}
	limit := binary.BigEndian.AppendUint64(nil, uint64(before.UnixNano()))
	var old [][]byte
	c := idx.Cursor()
	for k, _ := c.First(); k != nil && len(old) < max && bytes.Compare(k[:min(len(k), 8)], limit) < 0; k, _ = c.Next() {
		old = append(old, bytes.Clone(k))
	}
	for _, k := range old {
		if err := idx.Delete(k); err != nil {
			return 0, err
		}
		if len(k) > 8 {
			if err := recs.Delete(k[8:]); err != nil {
				return 0, err
			}
		}
	}
	return len(old), nil
}

// indexClientWrites indexes every client write (opening each for its
// time): for records made before the index.
func (t *tx) indexClientWrites() error {
	var keys []string
	if err := t.bucket(bucketClientWrites).ForEach(func(k, _ []byte) error {
		keys = append(keys, string(k))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		w, ok, err := t.ClientWrite(k)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := t.indexClientWrite(w.At, k); err != nil {
			return err
		}
	}
	return nil
}
