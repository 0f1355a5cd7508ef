package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// The inbox's aggregates (cases.InboxStore, issue 18): how many cases of
// the inbox's statuses are in each cases.InboxBucket, kept in bucketStats
// beside the statistics' and in step the same way: a case's tally
// (cases.TallyOf) carries its bucket, statsSums.add notes it and
// flushStats writes the net change in the transaction that writes the
// case. So an inbox load and every refresh of its counts read these few
// keys, not the index entry of every open case, which they did (18 % of
// the gateway's CPU under `make load`).
//
// Key: 'i' status 0 type 0 group 0 flags due, where flags has
// inboxFresh, inboxQueued and inboxDue (then due is the due date's Unix
// nanoseconds, 8 bytes big-endian, as the due-date indexes hold it; else
// 8 zero bytes). Value: the count, sealed like the other aggregates.

const statsInbox byte = 'i'

const (
	inboxFresh byte = 1 << iota
	inboxQueued
	inboxDue
)

type inboxKey struct {
	status cases.Status
	typ    casetype.Type
	group  string
	flags  byte
	due    int64
}

func inboxKeyOf(b cases.InboxBucket) inboxKey {
	k := inboxKey{status: b.Status, typ: b.Type, group: b.Group}
	if b.Fresh {
		k.flags |= inboxFresh
	}
	if b.Queued {
		k.flags |= inboxQueued
	}
	if !b.Due.IsZero() {
		k.flags |= inboxDue
		k.due = b.Due.UnixNano()
	}
	return k
}

func (k inboxKey) bucket() cases.InboxBucket {
	b := cases.InboxBucket{Status: k.status, Type: k.typ, Group: k.group,
		Fresh: k.flags&inboxFresh != 0, Queued: k.flags&inboxQueued != 0}
	if k.flags&inboxDue != 0 {
		b.Due = time.Unix(0, k.due).UTC()
	}
	return b
}

func (k inboxKey) key() []byte {
	b := append([]byte{statsInbox}, k.status...)
	b = append(append(b, 0), k.typ...)
	b = append(append(b, 0), k.group...)
	b = append(b, 0, k.flags)
	return binary.BigEndian.AppendUint64(b, uint64(k.due))
}

// parseInboxKey takes an 'i' key apart; false when it is not of that
// shape.
func parseInboxKey(k []byte) (inboxKey, bool) {
	if len(k) < 1+3+9 || k[0] != statsInbox {
		return inboxKey{}, false
	}
	tail := k[len(k)-9:]
	names := bytes.Split(k[1:len(k)-9], []byte{0})
	if len(names) != 4 || len(names[3]) != 0 || tail[0]&^(inboxFresh|inboxQueued|inboxDue) != 0 {
		return inboxKey{}, false
	}
	return inboxKey{status: cases.Status(names[0]), typ: casetype.Type(names[1]), group: string(names[2]),
		flags: tail[0], due: int64(binary.BigEndian.Uint64(tail[1:]))}, true
}

// addInbox adds sign times the case of tl to its inbox bucket, if any.
func (s *statsSums) addInbox(tl cases.StatsTally, sign int) {
	if !tl.InInbox {
		return
	}
	if s.inbox == nil {
		s.inbox = map[inboxKey]int{}
	}
	s.inbox[inboxKeyOf(tl.Inbox)] += sign
}

// flushInbox writes the net change of the inbox's aggregates (flushStats);
// a count that would go below zero is noted in mismatch and kept at zero.
func (t *tx) flushInbox(b *bolt.Bucket, delta map[inboxKey]int, mismatch *[]string) error {
	for k, n := range delta {
		if err := t.addStatsCount(b, k.key(), n, "inbox", mismatch); err != nil {
			return err
		}
	}
	return nil
}

// InboxBuckets calls fn with each of the inbox's aggregates, from one
// snapshot; false when the aggregates are not complete
// (cases.InboxStore).
func (db *DB) InboxBuckets(ctx context.Context, fn func(cases.InboxBucket, int)) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	done, err := db.viewStats(func(t *tx, c *bolt.Cursor) error {
		for k, v := c.Seek([]byte{statsInbox}); k != nil && k[0] == statsInbox; k, v = c.Next() {
			ik, ok := parseInboxKey(k)
			if !ok {
				return fmt.Errorf("statistics: a key of unknown shape (%x): %w", k, ErrTampered)
			}
			n, err := t.statsCount(k, v)
			if err != nil {
				return err
			}
			fn(ik.bucket(), n)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("inbox counts: %w", err)
	}
	return done, nil
}

var _ cases.InboxStore = (*DB)(nil)
