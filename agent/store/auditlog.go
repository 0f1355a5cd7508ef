package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

// The access log lives in bucketAudit, keyed by sequence number (8 bytes,
// big endian), each record sealed; its head is sealed in the meta bucket.
// Two index buckets find a patient's records (by blinded personnummer) and
// a staff member's records (by HSA-ID).

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
	rec, next, err := audit.Next(t.head, e)
	if err != nil {
		return fmt.Errorf("access log: %w", err)
	}
	key := seqKey(rec.Seq)
	// Encoded, sealed and put by the sealing goroutine (casewriter.go).
	if err := t.queueAudit(key, rec); err != nil {
		return err
	}
	if e.Patient != "" {
		pb := t.bucket(bucketAuditPatient)
		pb.FillPercent = 1
		if err := pb.Put(key, t.blind(e.Patient)); err != nil {
			return fmt.Errorf("access log index: %w", err)
		}
	}
	if err := t.bucket(bucketAuditActor).Put(catKey([]byte(e.Actor), sep, key), nil); err != nil {
		return fmt.Errorf("access log index: %w", err)
	}
	t.head, t.headDirty = next, true
	return nil
}

// flush seals the access log's head if this transaction moved it. Update
// calls it after the caller's function succeeded, before the commit.
func (t *tx) flush() error {
	if err := t.putPending(); err != nil {
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
	return t.bucket(bucketMeta).Put(keyAuditHead, sealed)
}

// auditRecord opens the record with the given sequence key.
func (t *tx) auditRecord(key []byte) (audit.Record, error) {
	var r audit.Record
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

// AuditByPatient calls fn for the records about one patient, oldest first.
func (t *tx) AuditByPatient(pnr cases.Personnummer, fn func(audit.Record) bool) error {
	if err := t.putPending(); err != nil {
		return err
	}
	var err error
	scanPatient(t.bucket(bucketAuditPatient), t.blind(string(pnr)), func(key []byte) bool {
		var r audit.Record
		if r, err = t.auditRecord(key); err != nil {
			return false
		}
		return fn(r)
	})
	return err
}

// AuditByActor calls fn for the records of one actor, oldest first.
func (t *tx) AuditByActor(actor string, fn func(audit.Record) bool) error {
	return t.auditByPrefix(bucketAuditActor, catKey([]byte(actor), sep), fn)
}
