package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"clinicgw/agent/audit"
)

// The access log's index by actor (bucketAuditActor) keeps runs of an
// actor's records (schema 7): an entry's key is the actor, 0 and the
// sequence number of the run's first record; its value is empty for a run
// of one record, else the sequence number of its last (8 bytes, big
// endian, after the first), and every record from the first to the last
// is the actor's. A transaction's records by one actor one after another
// make one run (queueAuditIndex): a backlog's arrivals, all the system's,
// put one entry per commit where they put one per record, each a cursor
// search from the root on the one goroutine that applies a backlog and
// bytes its commit writes. A schema-6 entry (empty value) is a run of one,
// so the step to schema 7 moves nothing; a schema-6 clinicgw would read a
// run as its first record alone, so it must refuse the file.
//
// A run is read as it says only where it holds: a value of another length,
// a last record before the first or a record in it by another actor is
// damage (ErrTampered), never an extract short of records or with
// another's.

// actorRun is a run of one actor's records not yet put: its key (actor,
// 0, first sequence number) and its last record's sequence number.
type actorRun struct {
	key  []byte
	last uint64
}

// first is the run's first sequence number.
func (r actorRun) first() uint64 { return binary.BigEndian.Uint64(r.key[len(r.key)-8:]) }

// extends reports whether the record seq by actor continues r.
func (r actorRun) extends(actor string, seq uint64) bool {
	return r.last+1 == seq && len(r.key) == len(actor)+9 && string(r.key[:len(actor)]) == actor
}

// runOf reads the entry k, v of the index by actor, under prefix (the
// actor and 0): its run's first and last sequence numbers. An entry whose
// key is not prefix and a sequence number is skipped (ok false).
func runOf(prefix, k, v []byte) (first, last uint64, ok bool, err error) {
	if len(k) != len(prefix)+8 {
		return 0, 0, false, nil
	}
	first = binary.BigEndian.Uint64(k[len(prefix):])
	switch len(v) {
	case 0:
		return first, first, true, nil
	case 8:
		if last = binary.BigEndian.Uint64(v); last > first {
			return first, last, true, nil
		}
	}
	return 0, 0, false, fmt.Errorf("access log index by actor: the run from record %d is damaged: %w", first, ErrTampered)
}

// actorRecord opens record seq of a run of actor's.
func (t *tx) actorRecord(actor string, seq uint64) (audit.Record, error) {
	r, err := t.auditRecord(seqKey(seq))
	if err != nil {
		return r, err
	}
	if r.Entry.Actor != actor {
		return r, fmt.Errorf("access log index by actor: record %d is not the actor's: %w", seq, ErrTampered)
	}
	return r, nil
}

// AuditByActor calls fn for the records of one actor, oldest first.
func (t *tx) AuditByActor(actor string, fn func(audit.Record) bool) error {
	if err := t.putPending(); err != nil {
		return err
	}
	prefix := catKey([]byte(actor), sep)
	c := t.bucket(bucketAuditActor).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		first, last, ok, err := runOf(prefix, k, v)
		if err != nil {
			return err
		}
		for seq := first; ok && seq <= last; seq++ {
			r, err := t.actorRecord(actor, seq)
			if err != nil {
				return err
			}
			if !fn(r) {
				return nil
			}
		}
	}
	return nil
}

// AuditByActorDesc calls fn for the records of one actor with a sequence
// number below before (0: from the newest), newest first, until fn
// returns false. It reads only as far as fn goes.
func (t *tx) AuditByActorDesc(actor string, before uint64, fn func(audit.Record) bool) error {
	if err := t.putPending(); err != nil {
		return err
	}
	prefix := catKey([]byte(actor), sep)
	if before == 0 {
		before = math.MaxUint64
	}
	c := t.bucket(bucketAuditActor).Cursor()
	// The last run that starts before before: it may go on past it.
	var v []byte
	k, _ := c.Seek(catKey(prefix, seqKey(before)))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
		first, last, ok, err := runOf(prefix, k, v)
		if err != nil {
			return err
		}
		if !ok {
			continue // another actor's whose id extends this one's (none do)
		}
		for seq := min(last, before-1); seq >= first && seq < before; seq-- {
			r, err := t.actorRecord(actor, seq)
			if err != nil {
				return err
			}
			if !fn(r) {
				return nil
			}
			if seq == first {
				break
			}
		}
	}
	return nil
}
