package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// The list indexes: composite keys that put a case where every list finds
// it without decoding the cases it does not show (cases.ByStatusAssignee
// and its kin). Each key is the value's parts joined by 0, then 0 and the
// case id, so one value's cases sort by id, oldest first, and a walk goes
// either way from any id (Scan, DueScan): a list's page costs its length,
// whatever the store holds. A clinician's open cases are a few keys, not
// a walk through their closed history.
const (
	bucketByStatusAssignee     = "idx-status-assignee"
	bucketByStatusType         = "idx-status-type"
	bucketByStatusTypeAssignee = "idx-status-type-assignee"
)

// keyListIndexed, in the meta bucket, says how far an existing store's
// cases are in the list indexes (indexLists): 0 and the last case id done
// while a back-fill runs, 1 when all are. A store made with the indexes
// starts at 1.
var keyListIndexed = []byte("list-indexed")

var listIndexedDone = []byte{1}

// listIndexBatch is how many cases one transaction of indexLists takes.
var listIndexBatch = 10000

// listEntries are a case's entries in the list indexes.
func (v indexValues) listEntries(bid []byte) []indexEntry {
	st, typ := []byte(v.status), []byte(v.typ)
	var mark []byte
	if v.fresh {
		mark = freshMark
	}
	out := []indexEntry{{bucketByStatusType, catKey(st, sep, typ, sep, bid), mark}} // first: markFresh
	if v.assignee != "" {
		a := []byte(v.assignee)
		out = append(out,
			indexEntry{bucketByStatusAssignee, catKey(st, sep, a, sep, bid), nil},
			indexEntry{bucketByStatusTypeAssignee, catKey(st, sep, typ, sep, a, sep, bid), nil})
	}
	return out
}

// scanBucket names the bucket behind an index that Scan walks.
func scanBucket(idx cases.Index) (string, error) {
	switch idx {
	case cases.ByAssignee:
		return bucketByAssignee, nil
	case cases.ByStatusAssignee:
		return bucketByStatusAssignee, nil
	case cases.ByStatusType:
		return bucketByStatusType, nil
	case cases.ByStatusTypeAssignee:
		return bucketByStatusTypeAssignee, nil
	case cases.ByQueue:
		return bucketByQueue, nil // queueidx.go
	}
	return "", fmt.Errorf("scan: index %q cannot be scanned", idx)
}

// Scan calls fn with the ids whose idx value is one of values, in id order
// either way, after w.After, each once. It merges one cursor per value
// (per range of values for the indexes derived from idx-status-type:
// derivedidx.go).
func (t *tx) Scan(idx cases.Index, values []string, w cases.Walk, fn func(cases.ID) bool) error {
	b, prefixes, err := t.scanRanges(idx, slices.Compact(slices.Sorted(slices.Values(values))))
	if err != nil {
		return err
	}
	heads := make([]*mergeHead, 0, len(prefixes))
	for _, prefix := range prefixes {
		h := &mergeHead{c: b.Cursor(), prefix: prefix}
		switch {
		case !w.Desc:
			at := catKey(h.prefix, []byte(w.After))
			if h.k, _ = h.c.Seek(at); w.After != "" && bytes.Equal(h.k, at) {
				h.k, _ = h.c.Next()
			}
		default:
			// The last key before the start: ids after the prefix, or
			// all of them (the prefix ends in 0; the next value starts
			// with the prefix's last byte 1).
			start := catKey(h.prefix, []byte(w.After))
			if w.After == "" {
				start = catKey(h.prefix[:len(h.prefix)-1], []byte{1})
			}
			if h.k, _ = h.c.Seek(start); h.k == nil {
				h.k, _ = h.c.Last()
			} else {
				h.k, _ = h.c.Prev()
			}
		}
		heads = append(heads, h)
	}
	var last []byte
	merge(heads, w.Desc, (*mergeHead).in, func(h *mergeHead) bool {
		id := h.rest()
		if bytes.Equal(id, last) { // a case has one value per index; still, each once
			return true
		}
		last = append(last[:0], id...)
		return fn(cases.ID(id))
	})
	return nil
}

func next(c *bolt.Cursor, desc bool) []byte {
	if desc {
		k, _ := c.Prev()
		return k
	}
	k, _ := c.Next()
	return k
}

// indexLists puts the cases of a store made before the list indexes into
// them, from the older indexes (status, type, assignee) without opening a
// case: 10,000 cases per transaction, resumable (a crash repeats at most
// the batch it was in). A store whose cases are all in them costs one read.
func (db *DB) indexLists(ctx context.Context) error {
	var done bool
	db.view(func(btx *bolt.Tx) error {
		done = bytes.Equal(btx.Bucket([]byte(bucketMeta)).Get(keyListIndexed), listIndexedDone)
		return nil
	})
	if done {
		return nil
	}
	batch := listIndexBatch
	total := 0
	for {
		n := 0
		err := db.update(func(btx *bolt.Tx) error {
			t := db.newTx(btx)
			meta := t.bucket(bucketMeta)
			var after []byte
			if v := meta.Get(keyListIndexed); len(v) > 1 && v[0] == 0 {
				after = slices.Clone(v[1:])
			}
			// The batch: the next ids after the last one done.
			vals := map[string]*indexValues{}
			var ids [][]byte
			c := t.bucket(bucketCaseIDs).Cursor()
			k, _ := c.Seek(after)
			if after != nil && bytes.Equal(k, after) {
				k, _ = c.Next()
			}
			for ; k != nil && len(ids) < batch; k, _ = c.Next() {
				ids = append(ids, slices.Clone(k))
				vals[string(k)] = &indexValues{}
			}
			n = len(ids)
			if n > 0 {
				lo, hi := ids[0], ids[n-1]
				set := map[string]func(v *indexValues, value string){
					bucketByStatus:   func(v *indexValues, s string) { v.status = cases.Status(s) },
					bucketByType:     func(v *indexValues, s string) { v.typ = casetype.Type(s) },
					bucketByAssignee: func(v *indexValues, s string) { v.assignee = s },
				}
				for name, fn := range set {
					if err := ctx.Err(); err != nil {
						return err
					}
					if t.bucket(name) == nil {
						return fmt.Errorf("the store has no %s to fill them from (schema 5 has them filled)", name)
					}
					eachInRange(t.bucket(name), lo, hi, func(value, id []byte) {
						if v := vals[string(id)]; v != nil {
							fn(v, string(value))
						}
					})
				}
				for _, id := range ids {
					if vals[string(id)].status == "" {
						continue // in no index: nothing to list it by
					}
					if err := t.putIndex(vals[string(id)].listEntries(id)); err != nil {
						return err
					}
				}
			}
			if n < batch {
				return meta.Put(keyListIndexed, listIndexedDone)
			}
			return meta.Put(keyListIndexed, catKey([]byte{0}, ids[n-1]))
		})
		if err != nil {
			return fmt.Errorf("index the cases for lists: %w", err)
		}
		total += n
		if n < batch {
			db.log.Info("cases indexed for lists", "cases", total)
			return nil
		}
	}
}

// eachInRange calls fn with the value and id of every entry (value, 0, id)
// of an index bucket whose id is in [lo, hi]: one seek per distinct value.
func eachInRange(b *bolt.Bucket, lo, hi []byte, fn func(value, id []byte)) {
	c := b.Cursor()
	for k, _ := c.First(); k != nil; {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			k, _ = c.Next() // not an entry of this layout
			continue
		}
		value := slices.Clone(k[:i])
		prefix := catKey(value, sep)
		for k, _ = c.Seek(catKey(prefix, lo)); k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k[len(prefix):], hi) <= 0; k, _ = c.Next() {
			fn(value, k[len(prefix):])
		}
		k, _ = c.Seek(catKey(value, []byte{1})) // the next value
	}
}

// The inbox's new cases (cases.IsFresh: received, never assigned) are
// marked in the value of their idx-status-type entry (freshMark), so that
// the inbox counts them without decoding one (CountFresh): a walk over the
// received cases' keys, the unassigned queue. A case loses the mark at its
// first assignment and never gets it back. (Schema 4 kept them in a bucket
// of their own, idx-new: derivedidx.go.)
var freshMark = []byte{1}

// keyFreshMarked, in the meta bucket, says the new cases of a store made
// before the mark carry it (markFresh).
var keyFreshMarked = []byte("fresh-marked")

// CountFresh counts the received cases never assigned (cases.FreshCounter):
// the marked idx-status-type entries of the received cases, no case
// decoded.
func (t *tx) CountFresh() (int, bool, error) {
	if err := t.putPending(); err != nil {
		return 0, false, err
	}
	n := 0
	prefix := catKey([]byte(cases.Received), sep)
	c := t.bucket(bucketByStatusType).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if bytes.Equal(v, freshMark) {
			n++
		}
	}
	return n, true, nil
}

// markFresh marks the new cases of a store made before freshMark: it
// decodes the received cases (the unassigned queue, not the history),
// once, in one transaction. A store that has done it costs one read.
func (db *DB) markFresh(ctx context.Context) error {
	var done bool
	db.view(func(btx *bolt.Tx) error {
		done = btx.Bucket([]byte(bucketMeta)).Get(keyFreshMarked) != nil
		return nil
	})
	if done {
		return nil
	}
	n := 0
	err := db.update(func(btx *bolt.Tx) error {
		n = 0
		t := db.newTx(btx)
		var ids []cases.ID
		err := t.Scan(cases.ByStatus, []string{string(cases.Received)}, cases.Walk{}, func(id cases.ID) bool {
			ids = append(ids, id)
			return true
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return err
			}
			c, err := t.Case(id)
			if err != nil {
				return fmt.Errorf("case %s: %w", id, err)
			}
			if v := t.indexValuesOf(c); v.fresh {
				if err := t.putIndex(v.listEntries([]byte(id))[:1]); err != nil { // its idx-status-type entry
					return err
				}
				n++
			}
		}
		return t.bucket(bucketMeta).Put(keyFreshMarked, []byte{1})
	})
	if err != nil {
		return fmt.Errorf("mark the new cases: %w", err)
	}
	if n > 0 {
		db.log.Info("new cases marked", "cases", n)
	}
	return nil
}
