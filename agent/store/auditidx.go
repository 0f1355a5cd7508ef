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
}

// queueAuditIndex notes the index keys of the access-log record with the
// sequence key key, made by actor about the case id (empty: none).
func (t *tx) queueAuditIndex(actor, caseID string, key []byte) {
	t.auditIdx.actor = append(t.auditIdx.actor, catKey([]byte(actor), sep, key))
	if caseID != "" {
		t.auditIdx.byCase = append(t.auditIdx.byCase, catKey([]byte(caseID), sep, key))
	}
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
		*p.keys = (*p.keys)[:0]
	}
	return nil
}
