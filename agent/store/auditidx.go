package store

import (
	"bytes"
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
	actor, byCase [][]byte
	// keys holds the keys, cut from it one after another: bbolt copies
	// a key it is given, so it is emptied once they are put.
	keys []byte
}

// queueAuditIndex notes the index keys of the access-log record with the
// sequence key key, made by actor about the case id (empty: none).
func (t *tx) queueAuditIndex(actor, caseID string, key []byte) {
	a := &t.auditIdx
	a.actor = append(a.actor, a.cut(actor, key))
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
	for _, p := range [...]struct {
		bucket string
		keys   *[][]byte
	}{{bucketAuditActor, &t.auditIdx.actor}, {bucketAuditCase, &t.auditIdx.byCase}} {
		if len(*p.keys) == 0 {
			continue
		}
		slices.SortFunc(*p.keys, bytes.Compare)
		// Both indexes' keys mostly grow (sequence numbers within a staff
		// member or case; case ids are time-ordered), as the case indexes'
		// do: pages split full, not at bbolt's default half (putIndex).
		b := t.bucket(p.bucket)
		b.FillPercent = 0.9
		for _, k := range *p.keys {
			if err := b.Put(k, nil); err != nil {
				return fmt.Errorf("access log index: %w", err)
			}
		}
		clear(*p.keys)
		*p.keys = (*p.keys)[:0]
	}
	t.auditIdx.keys = t.auditIdx.keys[:0]
	return nil
}
