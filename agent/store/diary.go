package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// The booking diary (package agent/booking) keeps its records here: time
// types, schedule templates, exceptions and the concrete times with their
// bookings, each sealed like every other value, in the diary's own sealed
// buckets; and two indexes in clear of the times (what a free-times query
// and the unit's figure read without opening a value): every time, and the
// free ones, keyed like the times (start, clinician's HSA-ID) with the
// length and the time type as value, and the holds' expiry instants. None
// of the clear parts holds patient data: who booked is only in the sealed
// time. The store does not know the diary's rules; DiaryUpdate runs the
// booking package's whole decision in one bbolt write transaction, so a
// state it checked is the state it changes.
//
// The buckets are known to Open (allBuckets: a store that has them is not
// foreign), added on open to a store made without them (addedBuckets,
// no schema bump) and sealed values in them are verified, counted and
// resealed with the rest (sealedBuckets).

// Diary buckets. Sealed ones hold a sealed value under every key; index
// ones hold clear values with no patient data.
const (
	DiaryTypes      = "diary-types"
	DiaryTemplates  = "diary-templates"
	DiaryExceptions = "diary-exceptions"
	DiaryTimes      = "diary-times"
	DiaryIdxTimes   = "idx-diary-times"
	DiaryIdxFree    = "idx-diary-free"
	DiaryIdxHeld    = "idx-diary-held"
)

var (
	diarySealed = []string{DiaryTypes, DiaryTemplates, DiaryExceptions, DiaryTimes}
	diaryIndex  = []string{DiaryIdxTimes, DiaryIdxFree, DiaryIdxHeld}
)

// The diary's buckets are listed here, in the diary's own file, rather
// than in the shared lists' literals: appended last, so the positions of
// the older sealed buckets (sealedPos) do not move.
func init() {
	allBuckets = append(allBuckets, diarySealed...)
	allBuckets = append(allBuckets, diaryIndex...)
	sealedBuckets = append(sealedBuckets, diarySealed...)
	addedBuckets = append(addedBuckets, diarySealed...)
	addedBuckets = append(addedBuckets, diaryIndex...)
}

// ErrDiaryBucket means a diary call named a bucket that is not the diary's,
// or a sealed bucket where an index is expected or the reverse.
var ErrDiaryBucket = errors.New("not a diary bucket of that kind")

// DiaryTx is one bbolt transaction over the diary's buckets.
type DiaryTx struct {
	btx *bolt.Tx
	s   *sealer
	// full is the store's transaction beside it in a write (DiaryUpdate),
	// for the access log (diaryaudit.go); nil in a read.
	full *tx
}

func (t *DiaryTx) sealedBucket(name string) (*bolt.Bucket, error) {
	if !slices.Contains(diarySealed, name) {
		return nil, fmt.Errorf("%w: %q is not a sealed diary bucket", ErrDiaryBucket, name)
	}
	return t.bucket(name)
}

func (t *DiaryTx) indexBucket(name string) (*bolt.Bucket, error) {
	if !slices.Contains(diaryIndex, name) {
		return nil, fmt.Errorf("%w: %q is not a diary index", ErrDiaryBucket, name)
	}
	return t.bucket(name)
}

func (t *DiaryTx) bucket(name string) (*bolt.Bucket, error) {
	b := t.btx.Bucket([]byte(name))
	if b == nil {
		return nil, fmt.Errorf("the store has no %s bucket: it is damaged; reopen it to recreate the bucket", name)
	}
	return b, nil
}

// Get opens the value under key in a sealed diary bucket; nil, nil if
// there is none.
func (t *DiaryTx) Get(bucket string, key []byte) ([]byte, error) {
	b, err := t.sealedBucket(bucket)
	if err != nil {
		return nil, err
	}
	v := b.Get(key)
	if v == nil {
		return nil, nil
	}
	out, err := t.s.open(bucket, key, v)
	if out == nil && err == nil {
		out = []byte{}
	}
	return out, err
}

// Put seals value under key in a sealed diary bucket.
func (t *DiaryTx) Put(bucket string, key, value []byte) error {
	b, err := t.sealedBucket(bucket)
	if err != nil {
		return err
	}
	if len(key) == 0 || len(key) > maxIDLen*2 {
		return fmt.Errorf("diary %s: a key is 1 to %d bytes", bucket, maxIDLen*2)
	}
	sealed, err := t.s.seal(bucket, key, value)
	if err != nil {
		return err
	}
	return b.Put(key, sealed)
}

// Delete removes key from a sealed diary bucket or an index.
func (t *DiaryTx) Delete(bucket string, key []byte) error {
	b, err := t.sealedBucket(bucket)
	if err != nil {
		if b, err = t.indexBucket(bucket); err != nil {
			return err
		}
	}
	return b.Delete(key)
}

// Scan opens the values of a sealed diary bucket with keys in [from, to)
// (to nil: to the end), in key order, until fn returns false.
func (t *DiaryTx) Scan(bucket string, from, to []byte, fn func(key, value []byte) (bool, error)) error {
	b, err := t.sealedBucket(bucket)
	if err != nil {
		return err
	}
	c := b.Cursor()
	for k, v := c.Seek(from); k != nil && (to == nil || bytes.Compare(k, to) < 0); k, v = c.Next() {
		plain, err := t.s.open(bucket, k, v)
		if err != nil {
			return fmt.Errorf("diary %s: %w", bucket, err)
		}
		if more, err := fn(k, plain); err != nil || !more {
			return err
		}
	}
	return nil
}

// IndexGet returns the clear value under key in a diary index; nil if
// there is none. It is valid only in the transaction.
func (t *DiaryTx) IndexGet(bucket string, key []byte) ([]byte, error) {
	b, err := t.indexBucket(bucket)
	if err != nil {
		return nil, err
	}
	return b.Get(key), nil
}

// IndexPut stores a clear value, which must hold no patient data, under
// key in a diary index.
func (t *DiaryTx) IndexPut(bucket string, key, value []byte) error {
	b, err := t.indexBucket(bucket)
	if err != nil {
		return err
	}
	return b.Put(key, value)
}

// IndexScan walks a diary index's keys in [from, to) (to nil: to the
// end) in order until fn returns false; key and value are valid only
// during the call.
func (t *DiaryTx) IndexScan(bucket string, from, to []byte, fn func(key, value []byte) bool) error {
	b, err := t.indexBucket(bucket)
	if err != nil {
		return err
	}
	c := b.Cursor()
	for k, v := c.Seek(from); k != nil && (to == nil || bytes.Compare(k, to) < 0); k, v = c.Next() {
		if !fn(k, v) {
			return nil
		}
	}
	return nil
}

// DiaryUpdate runs fn in one write transaction over the diary; an error
// from fn rolls back everything fn wrote and is returned as it is, so a
// caller can tell its own refusals by errors.As. It returns after the
// write is committed to disk.
func (db *DB) DiaryUpdate(ctx context.Context, fn func(*DiaryTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.update(func(btx *bolt.Tx) error {
		full := db.newTx(btx)
		defer full.stopWriter()
		if err := fn(&DiaryTx{btx: btx, s: full.s, full: full}); err != nil {
			return err
		}
		return full.flush()
	})
}

// DiaryView runs fn in one read transaction over the diary; the write
// methods of the DiaryTx fail in it.
func (db *DB) DiaryView(ctx context.Context, fn func(*DiaryTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.view(func(btx *bolt.Tx) error {
		return fn(&DiaryTx{btx: btx, s: db.sealer.Load()})
	})
}
