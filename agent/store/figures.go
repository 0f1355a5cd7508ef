package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
)

// Figures are the store's operational figures, for monitoring: counts
// and sizes only, never anything sealed. Figures reads them from the
// indexes' keys and bucket sizes in one read transaction, opening no
// sealed value, so it costs a walk over idx-status-type's keys — not a
// scan of the cases.
type Figures struct {
	ByStatus  map[cases.Status]int // cases per status, from the status index
	Overdue   int                  // open cases due before now, from the due-date index
	Outbox    int                  // changes waiting for the central store
	SizeBytes int64                // the store file's size as bbolt sees it
	KeyTerm   uint32               // the active key-ring term
	// Quarantined counts the central events kept in the quarantine
	// because they could not apply, by reason.
	Quarantined map[cases.QuarantineReason]int
}

// Figures returns the store's figures, judging overdue cases at now.
func (db *DB) Figures(ctx context.Context, now time.Time) (Figures, error) {
	if err := ctx.Err(); err != nil {
		return Figures{}, err
	}
	f := Figures{ByStatus: make(map[cases.Status]int)}
	err := db.view(func(btx *bolt.Tx) error {
		f.SizeBytes = btx.Size()
		// idx-status-type's keys are status, 0, type, 0, case id
		// (derivedidx.go): count runs of equal status without making a
		// string per key.
		var cur []byte
		n := 0
		b := btx.Bucket([]byte(bucketByStatusType))
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			i := bytes.IndexByte(k, 0)
			if i < 0 {
				return fmt.Errorf("status index: a key without a separator")
			}
			if !bytes.Equal(k[:i], cur) {
				if n > 0 {
					f.ByStatus[cases.Status(cur)] += n
				}
				cur, n = append(cur[:0], k[:i]...), 0
			}
			n++
		}
		if n > 0 {
			f.ByStatus[cases.Status(cur)] += n
		}
		// The overdue cases: every type's range of idx-type-due, up to now.
		end := timeKey(now)
		b = btx.Bucket([]byte(bucketByTypeDue))
		for _, prefix := range subPrefixes(b, nil) {
			c := b.Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) > len(prefix)+8 && bytes.Compare(k[len(prefix):len(prefix)+8], end) < 0; k, _ = c.Next() {
				f.Overdue++
			}
		}
		f.Outbox = btx.Bucket([]byte(bucketOutbox)).Stats().KeyN
		f.Quarantined = make(map[cases.QuarantineReason]int)
		if err := btx.Bucket([]byte(bucketQuarantineEv)).ForEach(func(_, v []byte) error {
			if len(v) < 8 {
				return fmt.Errorf("quarantine index: a value without its number")
			}
			f.Quarantined[cases.QuarantineReason(v[8:])]++
			return nil
		}); err != nil {
			return err
		}
		kr, err := loadKeyring(btx.Bucket([]byte(bucketMeta)))
		if err != nil {
			return err
		}
		if kr != nil {
			f.KeyTerm = kr.Active
		}
		return nil
	})
	if err != nil {
		return Figures{}, fmt.Errorf("store figures: %w", err)
	}
	return f, nil
}
