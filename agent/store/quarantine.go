package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"clinicgw/agent/cases"
)

// The quarantine (cases.Quarantined): central events that could not apply,
// each sealed like every value (a new case's submission is patient data),
// keyed by an 8-byte number in the order they came. bucketQuarantineEv maps
// a central event id (the central store's, no patient data) to that number
// and the reason, so that a repeat delivery is kept once and Figures
// counts by reason without opening a sealed value.

// Quarantine keeps q sealed under a new number; an event id already
// quarantined is kept once.
func (t *tx) Quarantine(q cases.Quarantined) error {
	id := q.Event.EventID
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("quarantine: event id must be 1 to %d bytes", maxIDLen)
	}
	keys := t.bucket(bucketQuarantineEv)
	if keys.Get([]byte(id)) != nil {
		return nil
	}
	b := t.bucket(bucketQuarantine)
	n, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	q.Seq = n
	seq := seqKey(n)
	plain, err := json.Marshal(q)
	if err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	sealed, err := t.s.seal(bucketQuarantine, seq, plain)
	if err != nil {
		return err
	}
	if err := b.Put(seq, sealed); err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	return keys.Put([]byte(id), append(seqKey(n), q.Reason...))
}

// Quarantined calls fn for each quarantined event, oldest first.
func (t *tx) Quarantined(fn func(cases.Quarantined) bool) error {
	c := t.bucket(bucketQuarantine).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		plain, err := t.s.open(bucketQuarantine, k, v)
		if err != nil {
			return fmt.Errorf("quarantined event %d: %w", binary.BigEndian.Uint64(k), err)
		}
		var q cases.Quarantined
		if err := json.Unmarshal(plain, &q); err != nil {
			return fmt.Errorf("quarantined event %d: %w", binary.BigEndian.Uint64(k), err)
		}
		q.Seq = binary.BigEndian.Uint64(k)
		if !fn(q) {
			return nil
		}
	}
	return nil
}

// Unquarantine removes the quarantined event numbered seq.
func (t *tx) Unquarantine(seq uint64) error {
	b := t.bucket(bucketQuarantine)
	k := seqKey(seq)
	v := b.Get(k)
	if v == nil {
		return nil
	}
	plain, err := t.s.open(bucketQuarantine, k, v)
	if err != nil {
		return fmt.Errorf("quarantined event %d: %w", seq, err)
	}
	var q cases.Quarantined
	if err := json.Unmarshal(plain, &q); err != nil {
		return fmt.Errorf("quarantined event %d: %w", seq, err)
	}
	if err := b.Delete(k); err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	return t.bucket(bucketQuarantineEv).Delete([]byte(q.Event.EventID))
}
