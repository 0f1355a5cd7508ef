package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// The due-date indexes behind the overdue and due-today lists filtered by
// case type, by assignee or by both (cases.ByTypeDue and its kin), and,
// merged over its types, the unfiltered one (cases.ByDue, derivedidx.go):
// an entry per open case with a due date, its key the value's
// parts joined by 0, then 0, the due time (8 bytes) and the case id, so
// one value's cases sort by (due, id) and a filtered list's page costs its
// length, not every overdue case of the unit.
const (
	bucketByTypeDue         = "idx-type-due"
	bucketByAssigneeDue     = "idx-assignee-due"
	bucketByTypeAssigneeDue = "idx-type-assignee-due"
)

// keyDueIndexed, in the meta bucket, says the open cases are in the
// due-date indexes (indexDue); a store made with them gets it at its
// first open, with nothing to do.
var keyDueIndexed = []byte("due-indexed")

// dueEntries are a case's entries in the filtered due-date indexes: none
// unless it is open with a due date.
func (v indexValues) dueEntries(bid []byte) []indexEntry {
	if !v.status.Open() || v.due.IsZero() {
		return nil
	}
	due, typ := timeKey(v.due), []byte(v.typ)
	out := []indexEntry{{bucketByTypeDue, catKey(typ, sep, due, bid), nil}}
	if v.assignee != "" {
		a := []byte(v.assignee)
		out = append(out,
			indexEntry{bucketByAssigneeDue, catKey(a, sep, due, bid), nil},
			indexEntry{bucketByTypeAssigneeDue, catKey(typ, sep, a, sep, due, bid), nil})
	}
	return out
}

// dueBucket names the bucket behind a due-date index and the prefix of
// value's entries in it.
func dueBucket(idx cases.Index, value string) (string, []byte, error) {
	switch idx {
	case cases.ByTypeDue:
		return bucketByTypeDue, catKey([]byte(value), sep), nil
	case cases.ByAssigneeDue:
		return bucketByAssigneeDue, catKey([]byte(value), sep), nil
	case cases.ByTypeAssigneeDue:
		return bucketByTypeAssigneeDue, catKey([]byte(value), sep), nil
	}
	return "", nil, fmt.Errorf("due scan: index %q is not a due-date index", idx)
}

// DueScan calls fn for every open case with idx value value due before
// limit, in (due, id) order either way, after from. cases.ByDue merges one
// cursor per type of idx-type-due (derivedidx.go).
func (t *tx) DueScan(idx cases.Index, value string, limit time.Time, from cases.DuePos, desc bool, fn func(cases.ID, time.Time) bool) error {
	b, prefixes, err := t.dueRanges(idx, value)
	if err != nil {
		return err
	}
	end := timeKey(limit)
	heads := make([]*mergeHead, 0, len(prefixes))
	for _, prefix := range prefixes {
		h := &mergeHead{c: b.Cursor(), prefix: prefix}
		switch {
		case !desc && from.ID == "":
			h.k, _ = h.c.Seek(prefix)
		case !desc:
			at := catKey(prefix, timeKey(from.Due), []byte(from.ID))
			if h.k, _ = h.c.Seek(at); bytes.Equal(h.k, at) {
				h.k, _ = h.c.Next()
			}
		default:
			at := catKey(prefix, end)
			if from.ID != "" && bytes.Compare(timeKey(from.Due), end) < 0 {
				at = catKey(prefix, timeKey(from.Due), []byte(from.ID))
			}
			if h.k, _ = h.c.Seek(at); h.k == nil {
				h.k, _ = h.c.Last()
			} else {
				h.k, _ = h.c.Prev()
			}
		}
		heads = append(heads, h)
	}
	due := func(h *mergeHead) bool { return h.in() && len(h.rest()) > 8 && bytes.Compare(h.rest()[:8], end) < 0 }
	merge(heads, desc, due, func(h *mergeHead) bool {
		r := h.rest()
		return fn(cases.ID(r[8:]), time.Unix(0, int64(binary.BigEndian.Uint64(r[:8]))).UTC())
	})
	return nil
}

// indexDue puts the open cases of a store made before the filtered
// due-date indexes into them, in one transaction, from the older indexes
// without opening a case: bucketByDue holds the open cases' due dates,
// the list indexes their types and assignees (indexLists runs first). It
// costs the open cases, not the history; a store whose cases are in them
// costs one read.
func (db *DB) indexDue(ctx context.Context) error {
	var done bool
	db.view(func(btx *bolt.Tx) error {
		done = btx.Bucket([]byte(bucketMeta)).Get(keyDueIndexed) != nil
		return nil
	})
	if done {
		return nil
	}
	n := 0
	err := db.update(func(btx *bolt.Tx) error {
		t := db.newTx(btx)
		vals := map[string]*indexValues{}
		for _, st := range cases.Statuses() {
			if !st.Open() {
				continue
			}
			for name, set := range map[string]func(v *indexValues, value string){
				bucketByStatusType:     func(v *indexValues, s string) { v.typ = casetype.Type(s) },
				bucketByStatusAssignee: func(v *indexValues, s string) { v.assignee = s },
			} {
				if err := ctx.Err(); err != nil {
					return err
				}
				prefix := catKey([]byte(st), sep)
				c := t.bucket(name).Cursor()
				for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
					rest := k[len(prefix):]
					i := bytes.IndexByte(rest, 0)
					if i < 0 {
						continue // not an entry of this layout
					}
					id := string(rest[i+1:])
					v := vals[id]
					if v == nil {
						v = &indexValues{status: st}
						vals[id] = v
					}
					set(v, string(rest[:i]))
				}
			}
		}
		if t.bucket(bucketByDue) == nil {
			return fmt.Errorf("the store has no %s to fill them from (schema 5 has them filled)", bucketByDue)
		}
		c := t.bucket(bucketByDue).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) <= 8 {
				continue
			}
			v := vals[string(k[8:])]
			if v == nil {
				continue // in no list index: nothing to list it by
			}
			v.due = time.Unix(0, int64(binary.BigEndian.Uint64(k[:8])))
			if err := t.putIndex(v.dueEntries(slices.Clone(k[8:]))); err != nil {
				return err
			}
			n++
		}
		return t.bucket(bucketMeta).Put(keyDueIndexed, []byte{1})
	})
	if err != nil {
		return fmt.Errorf("index the open cases by due date: %w", err)
	}
	if n > 0 {
		db.log.Info("open cases indexed by due date", "cases", n)
	}
	return nil
}
