package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
)

// auditIndexPuts are the keys of the access log's actor and case indexes
// that this transaction's appends made, not yet put. They are put sorted,
// before anything reads the store (putPending) and before the commit
// (flush): a backlog's case ids are ordered only to the millisecond (the
// central store takes a thousand cases at once), so put one by one in the
// order of the log they landed all over the last leaves of the case index,
// and bbolt moved the rest of a node's entries for each (2.8 µs of the
// one goroutine that applies a backlog, per case); put sorted, each lands
// after the one before.
type auditIndexPuts struct {
	actor  []actorRun // runs of an actor's records (auditactor.go)
	byCase [][]byte
	// keys holds the keys, cut from it one after another: bbolt copies
	// a key it is given, so it is emptied once they are put.
	keys []byte
}

// queueAuditIndex notes the index keys of the access-log record with the
// sequence key key, made by actor about the case id (empty: none).
func (t *tx) queueAuditIndex(actor, caseID string, key []byte) {
	a := &t.auditIdx
	if seq := binary.BigEndian.Uint64(key); len(a.actor) > 0 && a.actor[len(a.actor)-1].extends(actor, seq) {
		a.actor[len(a.actor)-1].last = seq
	} else {
		a.actor = append(a.actor, actorRun{a.cut(actor, key), seq})
	}
	if caseID != "" {
		a.byCase = append(a.byCase, a.cut(caseID, key))
	}
}

// cut appends value, 0 and key to a.keys and returns them. Should keys
// move to a larger array, the keys cut before keep the old one.
func (a *auditIndexPuts) cut(value string, key []byte) []byte {
	from := len(a.keys)
	a.keys = append(append(append(a.keys, value...), 0), key...)
	return a.keys[from:len(a.keys):len(a.keys)]
}

// putAuditIndex puts the noted index keys, each bucket's in key order.
func (t *tx) putAuditIndex() error {
	a := &t.auditIdx
	// Both indexes' keys mostly grow (sequence numbers within a staff
	// member or case; case ids are time-ordered), as the case indexes'
	// do: pages split full, not at bbolt's default half (putIndex).
	if len(a.actor) > 0 {
		slices.SortFunc(a.actor, func(x, y actorRun) int { return bytes.Compare(x.key, y.key) })
		// bbolt keeps a value until the commit: the runs' values are new.
		vals := make([]byte, 0, 8*len(a.actor))
		b := t.bucket(bucketAuditActor)
		b.FillPercent = 0.9
		for _, r := range a.actor {
			var v []byte // empty: a run of one record
			if from := len(vals); r.last != r.first() {
				vals = binary.BigEndian.AppendUint64(vals, r.last)
				v = vals[from:len(vals):len(vals)]
			}
			if err := b.Put(r.key, v); err != nil {
				return fmt.Errorf("access log index: %w", err)
			}
		}
		clear(a.actor)
		a.actor = a.actor[:0]
	}
	if len(a.byCase) > 0 {
		slices.SortFunc(a.byCase, bytes.Compare)
		b := t.bucket(bucketAuditCase)
		b.FillPercent = 0.9
		for _, k := range a.byCase {
			if err := b.Put(k, nil); err != nil {
				return fmt.Errorf("access log index: %w", err)
			}
		}
		clear(a.byCase)
		a.byCase = a.byCase[:0]
	}
	a.keys = a.keys[:0]
	return nil
}
