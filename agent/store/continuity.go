package store

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"clinicgw/agent/cases"
)

// Continuity with the central store (cases.ContinuityTx): where the
// gateway stands in the central store's event chain, in the meta bucket
// (numbers and hashes, no patient data; plain like the cursor), and two
// logs a reconciliation reads, each value sealed: bucketSyncJournal, the
// central events applied here by their seq, and bucketOutboxDone, the
// outbox items the central store confirmed, in the order it confirmed
// them. Both are kept for the case service's retention, then pruned.

const (
	bucketSyncJournal = "sync-journal" // seq (8 BE) → sealed journal record (cases.JournalEntry, whole or slim)
	bucketOutboxDone  = "outbox-done"  // position (8 BE) → sealed cases.Retained JSON
)

var keySyncHead = []byte("sync-head")

// syncHeadRecord is a cases.SyncHead as stored.
type syncHeadRecord struct {
	Seq         uint64 `json:"seq"`
	Link        string `json:"link"`
	Incarnation string `json:"incarnation"`
}

func logBucket(log cases.SyncLog) (string, error) {
	switch log {
	case cases.LogJournal:
		return bucketSyncJournal, nil
	case cases.LogConfirmed:
		return bucketOutboxDone, nil
	}
	return "", fmt.Errorf("no sync log %q", log)
}

// SyncHead returns the recorded place in the central store's chain.
func (t *tx) SyncHead() (cases.SyncHead, bool, error) {
	raw := t.bucket(bucketMeta).Get(keySyncHead)
	if raw == nil {
		return cases.SyncHead{}, false, nil
	}
	var r syncHeadRecord
	var h cases.SyncHead
	if err := json.Unmarshal(raw, &r); err != nil {
		return h, false, fmt.Errorf("sync head is damaged: %w", err)
	}
	if n, err := hex.Decode(h.Link[:], []byte(r.Link)); err != nil || n != len(h.Link) {
		return h, false, fmt.Errorf("sync head is damaged: its link is not %d bytes of hex", len(h.Link))
	}
	h.Seq, h.Incarnation = r.Seq, r.Incarnation
	return h, true, nil
}

// SetSyncHead records the place in the central store's chain.
func (t *tx) SetSyncHead(h cases.SyncHead) error {
	b, err := json.Marshal(syncHeadRecord{Seq: h.Seq, Link: hex.EncodeToString(h.Link[:]), Incarnation: h.Incarnation})
	if err != nil {
		return err
	}
	return t.bucket(bucketMeta).Put(keySyncHead, b)
}

// SyncLog calls fn with each record of log after position after.
func (t *tx) SyncLog(log cases.SyncLog, after uint64, fn func(uint64, []byte) bool) error {
	name, err := logBucket(log)
	if err != nil {
		return err
	}
	if err := t.putPending(); err != nil {
		return err
	}
	c := t.bucket(name).Cursor()
	for k, v := c.Seek(seqKey(after + 1)); k != nil; k, v = c.Next() {
		plain, err := t.s.open(name, k, v)
		if err != nil {
			return fmt.Errorf("%s record %d: %w", name, binary.BigEndian.Uint64(k), err)
		}
		if !fn(binary.BigEndian.Uint64(k), plain) {
			return nil
		}
	}
	return nil
}

// PutSyncLog stores rec, sealed, in log at pos (0: after the last). rec
// must not change until the transaction ends: it is sealed on the
// transaction's sealing goroutine.
func (t *tx) PutSyncLog(log cases.SyncLog, pos uint64, rec []byte) error {
	name, err := logBucket(log)
	if err != nil {
		return err
	}
	b := t.bucket(name)
	if pos == 0 {
		if pos, err = b.NextSequence(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	} else if pos > b.Sequence() {
		if err := b.SetSequence(pos); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	// Sealed and put like a new case (casewriter.go): one record per
	// central event, and the transaction's goroutine is the sync's bound.
	return t.queueSyncLog(name, seqKey(pos), rec)
}

// DeleteSyncLog removes the record at pos.
func (t *tx) DeleteSyncLog(log cases.SyncLog, pos uint64) error {
	name, err := logBucket(log)
	if err != nil {
		return err
	}
	if err := t.putPending(); err != nil { // a record put in this transaction goes first
		return err
	}
	return t.bucket(name).Delete(seqKey(pos))
}

// OutboxItem returns the queued change with the key.
func (t *tx) OutboxItem(key string) (cases.Outbound, bool, error) {
	seq := t.bucket(bucketOutboxKeys).Get([]byte(key))
	if seq == nil {
		return cases.Outbound{}, false, nil
	}
	v := t.bucket(bucketOutbox).Get(seq)
	if v == nil {
		return cases.Outbound{}, false, fmt.Errorf("outbox: key %s names no item", key)
	}
	plain, err := t.s.open(bucketOutbox, seq, v)
	if err != nil {
		return cases.Outbound{}, false, fmt.Errorf("outbox item %d: %w", binary.BigEndian.Uint64(seq), err)
	}
	var o cases.Outbound
	if err := json.Unmarshal(plain, &o); err != nil {
		return cases.Outbound{}, false, fmt.Errorf("outbox item %d: %w", binary.BigEndian.Uint64(seq), err)
	}
	return o, true, nil
}
