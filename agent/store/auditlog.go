package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

// The access log lives in bucketAudit, keyed by sequence number (8 bytes,
// big endian), each record sealed; its head is sealed in the meta bucket.
// Index buckets find a patient's records (by blinded personnummer), a
// staff member's records (by HSA-ID) and a case's records (by case id;
// the archive exports them with the case).

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// auditHead returns the head of the access log.
func (t *tx) auditHead() (audit.Head, error) {
	raw := t.bucket(bucketMeta).Get(keyAuditHead)
	if raw == nil {
		if k, _ := t.bucket(bucketAudit).Cursor().First(); k != nil {
			return audit.Head{}, errNoAuditHead
		}
		return audit.Head{Hash: audit.Genesis(t.unit)}, nil
	}
	plain, err := t.s.open(bucketMeta, keyAuditHead, raw)
	if err != nil {
		return audit.Head{}, fmt.Errorf("access log head: %w", err)
	}
	var h audit.Head
	if err := h.UnmarshalBinary(plain); err != nil {
		return audit.Head{}, fmt.Errorf("access log head: %w", err)
	}
	return h, nil
}

// AppendAudit appends an entry to the hash-chained access log.
func (t *tx) AppendAudit(e audit.Entry) error {
	if !t.headDirty {
		h, err := t.auditHead()
		if err != nil {
			return err
		}
		t.head = h
	}
	made, next, err := audit.NextMade(t.head, e)
	if err != nil {
		return fmt.Errorf("access log: %w", err)
	}
	rec := made.Record()
	key := seqKey(rec.Seq)
	// Encoded, sealed and put by the sealing goroutine (casewriter.go).
	if err := t.queueAudit(key, made); err != nil {
		return err
	}
	if e.Patient != "" {
		if err := t.tailPatient(key, t.blind(e.Patient)); err != nil {
			return fmt.Errorf("access log index: %w", err)
		}
	}
	t.queueAuditIndex(e.Actor, e.CaseID, key) // put sorted (auditidx.go)
	t.head, t.headDirty = next, true
	return nil
}

// flush puts the pending values, writes the change of the statistics'
// aggregates and seals the access log's head if this transaction moved
// it. Update calls it after the caller's function succeeded, before the
// commit.
func (t *tx) flush() error {
	if err := t.putPending(); err != nil {
		return err
	}
	if err := t.flushStats(); err != nil {
		return err
	}
	if !t.headDirty {
		return nil
	}
	hb, err := t.head.MarshalBinary()
	if err != nil {
		return err
	}
	sealed, err := t.s.seal(bucketMeta, keyAuditHead, hb)
	if err != nil {
		return err
	}
	t.headDirty = false
	if err := t.bucket(bucketMeta).Put(keyAuditCaseUpTo, seqKey(t.head.Seq)); err != nil {
		return err
	}
	if err := t.chainTail(); err != nil {
		return err
	}
	return t.bucket(bucketMeta).Put(keyAuditHead, sealed)
}

// indexAuditByCase adds to bucketAuditCase the records after
// keyAuditCaseUpTo: all of them in a store made before the index, those
// an older clinicgw appended after a downgrade. 10,000 records per
// transaction; a crash repeats at most the batch it was in.
func (db *DB) indexAuditByCase(ctx context.Context) error {
	var current bool
	db.view(func(btx *bolt.Tx) error {
		v := btx.Bucket([]byte(bucketMeta)).Get(keyAuditCaseUpTo)
		if len(v) == 8 {
			k, _ := btx.Bucket([]byte(bucketAudit)).Cursor().Seek(seqKey(binary.BigEndian.Uint64(v) + 1))
			current = k == nil
		}
		return nil
	})
	if current {
		return nil // an Update, even one that changes nothing, would commit
	}
	total := 0
	for {
		n := 0
		err := db.update(func(btx *bolt.Tx) error {
			t := db.newTx(btx)
			meta := t.bucket(bucketMeta)
			var from uint64
			if v := meta.Get(keyAuditCaseUpTo); len(v) == 8 {
				from = binary.BigEndian.Uint64(v)
			}
			idx := t.bucket(bucketAuditCase)
			c := t.bucket(bucketAudit).Cursor()
			last := from
			for k, _ := c.Seek(seqKey(from + 1)); k != nil && n < 10000; k, _ = c.Next() {
				if err := ctx.Err(); err != nil {
					return err
				}
				r, err := t.auditRecord(k)
				if err != nil {
					return err
				}
				if r.Entry.CaseID != "" {
					if err := idx.Put(catKey([]byte(r.Entry.CaseID), sep, k), nil); err != nil {
						return err
					}
				}
				last, n = r.Seq, n+1
			}
			return meta.Put(keyAuditCaseUpTo, seqKey(last))
		})
		if err != nil {
			return fmt.Errorf("index the access log by case: %w", err)
		}
		total += n
		if n < 10000 {
			if total > 0 {
				db.log.Info("access log indexed by case", "records", total)
			}
			return nil
		}
	}
}

// auditRecord opens the record with the given sequence key.
func (t *tx) auditRecord(key []byte) (audit.Record, error) {
	var r audit.Record
	if t.opened != nil {
		t.opened.Add(1)
	}
	raw := t.bucket(bucketAudit).Get(key)
	if raw == nil {
		return r, fmt.Errorf("access log record %d is missing", binary.BigEndian.Uint64(key))
	}
	plain, err := t.s.open(bucketAudit, key, raw)
	if err != nil {
		return r, err
	}
	if err := r.UnmarshalBinary(plain); err != nil {
		return r, err
	}
	return r, nil
}

func (t *tx) auditByPrefix(bucket string, prefix []byte, fn func(audit.Record) bool) error {
	if err := t.putPending(); err != nil {
		return err
	}
	c := t.bucket(bucket).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		r, err := t.auditRecord(k[len(prefix):])
		if err != nil {
			return err
		}
		if !fn(r) {
			return nil
		}
	}
	return nil
}

// AuditOfCase calls fn for the records about one case, oldest first.
func (t *tx) auditOfCase(id cases.ID, fn func(audit.Record) bool) error {
	return t.auditByPrefix(bucketAuditCase, catKey([]byte(id), sep), fn)
}
