package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"clinicgw/agent/cases"
)

// Sync state: the cursor of the last central event applied (plain, in the
// meta bucket: a number, no patient data) and the outbox of changes for the
// central store, keyed by an 8-byte sequence number so that items leave in
// the order they were queued, each sealed (an answer's text is patient
// data). bucketOutboxKeys maps an idempotency key to its sequence number.

var keySyncCursor = []byte("sync-cursor")

// SyncCursor returns the last central event sequence applied.
func (t *tx) SyncCursor() (uint64, error) {
	raw := t.bucket(bucketMeta).Get(keySyncCursor)
	if raw == nil {
		return 0, nil
	}
	if len(raw) != 8 {
		return 0, fmt.Errorf("sync cursor is damaged")
	}
	return binary.BigEndian.Uint64(raw), nil
}

// SetSyncCursor records the last central event sequence applied.
func (t *tx) SetSyncCursor(seq uint64) error {
	return t.bucket(bucketMeta).Put(keySyncCursor, binary.BigEndian.AppendUint64(nil, seq))
}

// Enqueue queues an outbound change.
func (t *tx) Enqueue(o cases.Outbound) error {
	if o.Key == "" || len(o.Key) > maxIDLen {
		return fmt.Errorf("outbox: key must be 1 to %d bytes", maxIDLen)
	}
	keys := t.bucket(bucketOutboxKeys)
	if keys.Get([]byte(o.Key)) != nil {
		return fmt.Errorf("outbox: key %s is already queued", o.Key)
	}
	b := t.bucket(bucketOutbox)
	n, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	seq := seqKey(n)
	plain, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	sealed, err := t.s.seal(bucketOutbox, seq, plain)
	if err != nil {
		return err
	}
	b.FillPercent = 1
	if err := b.Put(seq, sealed); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return keys.Put([]byte(o.Key), seq)
}

// Outbox calls fn for each queued change, oldest first.
func (t *tx) Outbox(fn func(cases.Outbound) bool) error {
	c := t.bucket(bucketOutbox).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		plain, err := t.s.open(bucketOutbox, k, v)
		if err != nil {
			return fmt.Errorf("outbox item %d: %w", binary.BigEndian.Uint64(k), err)
		}
		var o cases.Outbound
		if err := json.Unmarshal(plain, &o); err != nil {
			return fmt.Errorf("outbox item %d: %w", binary.BigEndian.Uint64(k), err)
		}
		if !fn(o) {
			return nil
		}
	}
	return nil
}

// Requeue replaces a queued change in place, sealed again under its
// position.
func (t *tx) Requeue(o cases.Outbound) error {
	seq := t.bucket(bucketOutboxKeys).Get([]byte(o.Key))
	if seq == nil {
		return fmt.Errorf("outbox: key %s is not queued", o.Key)
	}
	seq = bytes.Clone(seq)
	plain, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	sealed, err := t.s.seal(bucketOutbox, seq, plain)
	if err != nil {
		return err
	}
	if err := t.bucket(bucketOutbox).Put(seq, sealed); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// Dequeue removes a confirmed change; an unknown key is not an error.
func (t *tx) Dequeue(key string) error {
	keys := t.bucket(bucketOutboxKeys)
	seq := keys.Get([]byte(key))
	if seq == nil {
		return nil
	}
	if err := t.bucket(bucketOutbox).Delete(seq); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return keys.Delete([]byte(key))
}
