package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"clinicgw/agent/cases"
)

// The indexes by status alone, by type alone and by due date alone
// (cases.ByStatus, cases.ByType, cases.ByDue) have no buckets of their
// own since schema 5: idx-status-type holds every case under its status
// and type, idx-type-due every open case with a due date under its type,
// so a status's cases are the few ranges (status, type) of idx-status-type,
// a type's the few ranges (status, type), and the due list the few ranges
// (type) of idx-type-due. A read merges one cursor per range (Scan,
// DueScan, with merge), in the order the single index gave, and stops
// where its caller stops. The inbox's new cases, which had a bucket too
// (idx-new), are marked in their idx-status-type entries' values
// (freshMark, listidx.go). A received case costs four entries fewer on
// the goroutine that applies a backlog: four cursor searches, four
// leaves rewritten at each commit, about 500 bytes.
//
// The buckets are retired: a store of schema 4 or older holds them (idx-new
// if it was made or opened by a clinicgw that had it), its migration
// (dropDerivedIndexes) deletes them, and a store of schema 5 holding one
// is damaged.
const (
	bucketByStatus = "idx-status" // schema ≤ 4: status, 0, case id
	bucketByType   = "idx-type"   // schema ≤ 4: type, 0, case id
	bucketByDue    = "idx-due"    // schema ≤ 4: due (8 BE), case id
	bucketFresh    = "idx-new"    // schema ≤ 4: case id, of a new case
)

// keyFreshIndexed, in the meta bucket of a store of schema 4 or older, said
// its new cases were in idx-new.
var keyFreshIndexed = []byte("fresh-indexed")

// retiredBuckets are the buckets a store of schema 4 or older holds and
// schema 5 no longer has.
var retiredBuckets = []string{bucketByStatus, bucketByType, bucketByDue, bucketFresh}

// subPrefixes returns prefix, v and 0 for every distinct v such that b
// holds a key prefix, v, 0, …, in key order: one seek per value.
func subPrefixes(b *bolt.Bucket, prefix []byte) [][]byte {
	var out [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); {
		i := bytes.IndexByte(k[len(prefix):], 0)
		if i < 0 {
			k, _ = c.Next() // not an entry of this layout
			continue
		}
		v := k[len(prefix) : len(prefix)+i]
		out = append(out, catKey(prefix, v, sep))
		k, _ = c.Seek(catKey(prefix, v, []byte{1}))
	}
	return out
}

// scanRanges names the bucket behind idx and the key prefixes of values'
// cases in it: the ranges whose ids Scan merges.
func (t *tx) scanRanges(idx cases.Index, values []string) (*bolt.Bucket, [][]byte, error) {
	switch idx {
	case cases.ByStatus: // (status, every type)
		b := t.bucket(bucketByStatusType)
		var out [][]byte
		for _, v := range values {
			out = append(out, subPrefixes(b, catKey([]byte(v), sep))...)
		}
		return b, out, nil
	case cases.ByType: // (every status, type)
		b := t.bucket(bucketByStatusType)
		var out [][]byte
		for _, st := range subPrefixes(b, nil) {
			for _, v := range values {
				out = append(out, catKey(st, []byte(v), sep))
			}
		}
		return b, out, nil
	}
	name, err := scanBucket(idx)
	if err != nil {
		return nil, nil, err
	}
	out := make([][]byte, len(values))
	for i, v := range values {
		out[i] = catKey([]byte(v), sep)
	}
	return t.bucket(name), out, nil
}

// dueRanges names the bucket behind a due-date index and the key prefixes
// of value's cases in it: for cases.ByDue, every type's of idx-type-due.
func (t *tx) dueRanges(idx cases.Index, value string) (*bolt.Bucket, [][]byte, error) {
	if idx == cases.ByDue {
		if value != "" {
			return nil, nil, fmt.Errorf("due scan: index %q takes no value", idx)
		}
		b := t.bucket(bucketByTypeDue)
		return b, subPrefixes(b, nil), nil
	}
	name, prefix, err := dueBucket(idx, value)
	if err != nil {
		return nil, nil, err
	}
	return t.bucket(name), [][]byte{prefix}, nil
}

// mergeHead is one range's cursor in a merged walk, at key k; the walk
// merges by the keys' parts after the range's prefix.
type mergeHead struct {
	c      *bolt.Cursor
	prefix []byte
	k      []byte
}

func (h *mergeHead) in() bool { return h.k != nil && bytes.HasPrefix(h.k, h.prefix) }

func (h *mergeHead) rest() []byte { return h.k[len(h.prefix):] }

// merge calls fn with the key of every head's range in the order of the
// keys' parts after their prefixes, ascending or (desc) descending, until
// fn returns false. ok says whether a head's key is still in its range;
// it is called after every step.
func merge(heads []*mergeHead, desc bool, ok func(h *mergeHead) bool, fn func(h *mergeHead) bool) {
	live := heads[:0]
	for _, h := range heads {
		if ok(h) {
			live = append(live, h)
		}
	}
	for len(live) > 0 {
		m := 0 // the next head: a handful of ranges, so a linear pick
		for i := 1; i < len(live); i++ {
			c := bytes.Compare(live[i].rest(), live[m].rest())
			if !desc && c < 0 || desc && c > 0 {
				m = i
			}
		}
		if !fn(live[m]) {
			return
		}
		live[m].k = next(live[m].c, desc)
		if !ok(live[m]) {
			live = append(live[:m], live[m+1:]...)
		}
	}
}

// dropDerivedIndexes is the step from schema 4 to 5: it deletes the
// retired buckets, whose cases idx-status-type and idx-type-due hold. It
// runs after fillDerivingIndexes, so they hold them all.
func dropDerivedIndexes(btx *bolt.Tx) error {
	meta := btx.Bucket([]byte(bucketMeta))
	for _, k := range [][]byte{keyListIndexed, keyFreshMarked, keyDueIndexed} {
		if v := meta.Get(k); v == nil || bytes.Equal(k, keyListIndexed) && !bytes.Equal(v, listIndexedDone) {
			return fmt.Errorf("the list indexes are not filled (%s)", k)
		}
	}
	for _, name := range retiredBuckets {
		if err := btx.DeleteBucket([]byte(name)); err != nil && (name != bucketFresh || !errors.Is(err, berrors.ErrBucketNotFound)) {
			return fmt.Errorf("delete bucket %s: %w", name, err)
		}
	}
	return meta.Delete(keyFreshIndexed)
}

// fillDerivingIndexes finishes the back-fills that read the retired
// buckets (indexLists, indexDue) and marks the new cases (markFresh),
// before the step that drops them: each resumable, and nothing if done. The buckets they fill are
// made first, if the store lacks them (addBuckets).
func (db *DB) fillDerivingIndexes(ctx context.Context) error {
	if err := db.addBuckets(); err != nil {
		return err
	}
	for _, fill := range []func(context.Context) error{db.indexLists, db.markFresh, db.indexDue} {
		if err := fill(ctx); err != nil {
			return err
		}
	}
	return nil
}
