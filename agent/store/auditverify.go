package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
)

var keyAuditCheckpoint = []byte("audit-checkpoint")

// checkpointKey derives the key that signs access-log checkpoints. It comes
// from the key ring, so only a holder of the KEK can make a checkpoint.
func (s *sealer) checkpointKey() []byte {
	m := hmac.New(sha256.New, s.index)
	m.Write([]byte("clinicgw audit checkpoint key v1"))
	return m.Sum(nil)
}

// VerifyAudit checks the whole access log: every record opens, the chain
// of hashes is unbroken from the first record to the stored head, and the
// log still reaches the last signed checkpoint. On success it signs a new
// checkpoint at the verified head, so that cutting the log back later is
// detected even if the head is rolled back with it. Its cost grows with
// the log: it is the command's (`clinicgw audit verify`) and the nightly
// job's; a page uses VerifyAuditRecent.
func (db *DB) VerifyAudit(ctx context.Context) (audit.Report, error) {
	rep, err := db.verifyAuditChain(ctx, nil)
	if err == nil {
		err = db.signCheckpoint(rep)
	}
	if ctx.Err() == nil {
		db.noteFullCheck(ctx, rep, err)
	}
	return rep, err
}

// AuditCheck is the result of the last whole check of the access log
// (VerifyAudit), as LastFullAuditCheck returns it.
type AuditCheck struct {
	At      time.Time `json:"at"`
	Entries uint64    `json:"entries"`         // found in order
	Error   string    `json:"error,omitempty"` // empty: the log verified
}

const settingAuditCheck = "audit/last-full-check"

// noteFullCheck keeps the result of a whole check in the sealed settings;
// a store that cannot write (damaged) keeps none, which is not an error of
// the check's.
func (db *DB) noteFullCheck(ctx context.Context, rep audit.Report, err error) {
	c := AuditCheck{At: db.clock.Now().UTC(), Entries: rep.Entries}
	if err != nil {
		c.Error = err.Error()
	}
	b, _ := json.Marshal(c)
	if err := db.PutSetting(ctx, settingAuditCheck, b); err != nil {
		db.log.Warn("the access log check's result could not be kept", "err", err)
	}
}

// LastFullAuditCheck returns the result of the last whole check of the
// access log, and false if none was made.
func (db *DB) LastFullAuditCheck(ctx context.Context) (AuditCheck, bool, error) {
	var c AuditCheck
	b, err := db.Setting(ctx, settingAuditCheck)
	if errors.Is(err, ErrNoSetting) {
		return c, false, nil
	}
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		return c, false, fmt.Errorf("the access log's last check: %w", err)
	}
	return c, true, nil
}

// VerifyAuditRecent checks the access log from the last signed checkpoint
// on (audit.From): the checkpoint is genuine, the records after it open
// and chain to it, and the head is where they end; then it signs a new
// checkpoint at the head. Its cost is what was logged since the last
// check, not the log's size. Without a checkpoint it is VerifyAudit. What
// lies before the checkpoint is the full check's (VerifyAudit) to look at
// again. The Report counts the records checked; its Head is the log's.
func (db *DB) VerifyAuditRecent(ctx context.Context) (audit.Report, error) {
	var rep audit.Report
	var verr error
	full := false
	err := db.view(func(btx *bolt.Tx) error {
		t := db.newTx(btx)
		cp, ok, err := t.checkpoint()
		if err != nil {
			return err
		}
		if !ok {
			full = true
			return nil
		}
		head, haveHead, err := t.storedAuditHead()
		if err != nil {
			return err
		}
		rep, verr = audit.Verify(db.unit, t.auditRecords(ctx, max(cp.Head.Seq, 1), nil, nil), head, haveHead, audit.From(t.s.checkpointKey(), cp))
		return nil
	})
	if full {
		return db.VerifyAudit(ctx)
	}
	if err != nil {
		return rep, fmt.Errorf("verify access log: %w", err)
	}
	if verr != nil {
		return rep, verr
	}
	return rep, db.signCheckpoint(rep)
}

// signCheckpoint signs a checkpoint at rep's head, unless one there or
// later is already signed.
func (db *DB) signCheckpoint(rep audit.Report) error {
	if rep.Head.Seq == 0 {
		return nil
	}
	err := db.update(func(btx *bolt.Tx) error {
		t := db.newTx(btx)
		if cp, ok, err := t.checkpoint(); err != nil {
			return err
		} else if ok && cp.Head.Seq >= rep.Head.Seq {
			return nil
		}
		cp := audit.SignCheckpoint(t.s.checkpointKey(), rep.Head, db.clock.Now())
		raw, err := cp.MarshalBinary()
		if err != nil {
			return err
		}
		sealed, err := t.s.seal(bucketMeta, keyAuditCheckpoint, raw)
		if err != nil {
			return err
		}
		return t.bucket(bucketMeta).Put(keyAuditCheckpoint, sealed)
	})
	if err != nil {
		return fmt.Errorf("sign access-log checkpoint: %w", err)
	}
	return nil
}

// verifyAuditChain is VerifyAudit without the new checkpoint: it writes
// nothing. progress, if not nil, is called now and then with the records
// done and the head's sequence number.
func (db *DB) verifyAuditChain(ctx context.Context, progress func(done, total int)) (audit.Report, error) {
	var rep audit.Report
	var verr error
	err := db.view(func(btx *bolt.Tx) error {
		t := db.newTx(btx)
		head, haveHead, err := t.storedAuditHead()
		if err != nil {
			return err
		}
		var opts []audit.VerifyOption
		if cp, ok, err := t.checkpoint(); err != nil {
			return err
		} else if ok {
			opts = append(opts, audit.WithCheckpoints(t.s.checkpointKey(), cp))
		}
		n := 0
		rep, verr = audit.Verify(db.unit, t.auditRecords(ctx, 0, &n, func(done int) {
			if progress != nil {
				progress(done, int(head.Seq))
			}
		}), head, haveHead, opts...)
		if progress != nil {
			progress(n, int(head.Seq))
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("verify access log: %w", err)
	}
	return rep, verr
}

// storedAuditHead returns the access log's stored head, and false if none
// is stored.
func (t *tx) storedAuditHead() (audit.Head, bool, error) {
	if t.bucket(bucketMeta).Get(keyAuditHead) == nil {
		return audit.Head{}, false, nil
	}
	head, err := t.auditHead()
	return head, true, err
}

// auditRecords yields the stored records from sequence number from on (0:
// every key in the bucket, whatever it is), in key order, opened; n, if not nil, counts them and every 4096 progress
// (if not nil) is told the count.
func (t *tx) auditRecords(ctx context.Context, from uint64, n *int, progress func(done int)) audit.Records {
	return func(yield func(uint64, audit.Record, error) bool) {
		c := t.bucket(bucketAudit).Cursor()
		k, v := c.First()
		if from > 0 {
			k, v = c.Seek(seqKey(from))
		}
		for ; k != nil; k, v = c.Next() {
			if ctx.Err() != nil {
				yield(0, audit.Record{}, ctx.Err())
				return
			}
			var r audit.Record
			seq, err := seqOf(k)
			if err == nil {
				var plain []byte
				if plain, err = t.s.open(bucketAudit, k, v); err == nil {
					err = r.UnmarshalBinary(plain)
				}
			}
			if n != nil {
				if *n++; progress != nil && *n%4096 == 0 {
					progress(*n)
				}
			}
			if !yield(seq, r, err) {
				return
			}
		}
	}
}

// checkpoint returns the newest signed checkpoint, if any.
func (t *tx) checkpoint() (audit.Checkpoint, bool, error) {
	var cp audit.Checkpoint
	raw := t.bucket(bucketMeta).Get(keyAuditCheckpoint)
	if raw == nil {
		return cp, false, nil
	}
	plain, err := t.s.open(bucketMeta, keyAuditCheckpoint, raw)
	if err != nil {
		return cp, false, fmt.Errorf("access-log checkpoint: %w", err)
	}
	if err := cp.UnmarshalBinary(plain); err != nil {
		return cp, false, fmt.Errorf("access-log checkpoint: %w", err)
	}
	return cp, true, nil
}
