package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"

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
// detected even if the head is rolled back with it.
func (db *DB) VerifyAudit(ctx context.Context) (audit.Report, error) {
	rep, err := db.verifyAuditChain(ctx, nil)
	if err != nil {
		return rep, err
	}
	if rep.Head.Seq == 0 {
		return rep, nil
	}
	err = db.update(func(btx *bolt.Tx) error {
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
		return rep, fmt.Errorf("sign access-log checkpoint: %w", err)
	}
	return rep, nil
}

// verifyAuditChain is VerifyAudit without the new checkpoint: it writes
// nothing. progress, if not nil, is called now and then with the records
// done and the head's sequence number.
func (db *DB) verifyAuditChain(ctx context.Context, progress func(done, total int)) (audit.Report, error) {
	var rep audit.Report
	var verr error
	err := db.view(func(btx *bolt.Tx) error {
		t := db.newTx(btx)
		var head audit.Head
		haveHead := t.bucket(bucketMeta).Get(keyAuditHead) != nil
		if haveHead {
			var err error
			if head, err = t.auditHead(); err != nil {
				return err
			}
		}
		var opts []audit.VerifyOption
		if cp, ok, err := t.checkpoint(); err != nil {
			return err
		} else if ok {
			opts = append(opts, audit.WithCheckpoints(t.s.checkpointKey(), cp))
		}
		c := t.bucket(bucketAudit).Cursor()
		n := 0
		records := func(yield func(uint64, audit.Record, error) bool) {
			for k, v := c.First(); k != nil; k, v = c.Next() {
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
				if n++; progress != nil && n%4096 == 0 {
					progress(n, int(head.Seq))
				}
				if !yield(seq, r, err) {
					return
				}
			}
		}
		rep, verr = audit.Verify(db.unit, records, head, haveHead, opts...)
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
