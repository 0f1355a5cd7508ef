package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
)

// A purge used to open and decode every case it removed, to know its index
// entries and the aggregates it counts in: the archive's export had read
// the same case a moment before, in the same process. Seen carries what
// that read learnt to the purge, so that the purge opens nothing: the
// case's index values and statistics tally, and the stamp of the sealed
// record it was read from. The purge removes a case by what Seen says only
// while the record is still the one seen (same stamp); a case written since
// (any write seals it again, with a fresh nonce) is decoded, and purged
// only if its Version is still the one seen (a reseal by a key rotation),
// otherwise kept: it changed after it was exported.

// stampLen is a sealed record's stamp: its header (format, term), nonce
// and GCM tag. Two records with the same stamp under one key are the same
// record: every seal draws a fresh random nonce, and the tag authenticates
// the ciphertext under it.
const stampLen = headerLen + nonceLen + 16

// Seen is a case as a read transaction saw it, for PurgeSeen.
type Seen struct {
	ID      cases.ID
	Version uint64
	stamp   [stampLen]byte
	vals    indexValues
	tally   cases.StatsTally
}

// SeenReader is what the read transactions of DB.View offer beside
// cases.ReadTx.
type SeenReader interface {
	// Seen notes what PurgeSeen needs of c, which this transaction read
	// (Case). It opens nothing.
	Seen(c *cases.Case) (Seen, error)
}

// Seen implements SeenReader.
func (t *tx) Seen(c *cases.Case) (Seen, error) {
	_, raw, err := t.caseRecord(c.ID)
	if err != nil {
		return Seen{}, err
	}
	if len(raw) < stampLen {
		return Seen{}, fmt.Errorf("case %s: %w", c.ID, cases.ErrNotFound)
	}
	s := Seen{ID: c.ID, Version: c.Version, vals: t.indexValuesOf(c), tally: cases.TallyOf(c, t.unit)}
	stampOf(&s.stamp, raw)
	return s, nil
}

func stampOf(dst *[stampLen]byte, sealed []byte) {
	copy(dst[:headerLen+nonceLen], sealed)
	copy(dst[headerLen+nonceLen:], sealed[len(sealed)-16:])
}

// ErrChangedSinceSeen is why PurgeSeen keeps a case: it was written after
// the read that saw it.
var ErrChangedSinceSeen = errors.New("the case changed after it was read for the purge")

// PurgeSeen is PurgeCases for cases read before (SeenReader), opening none
// that is unchanged since: it removes each case and its index entries by
// what seen says, in one transaction, with the setting done (if not empty)
// removed in the same transaction. A case already gone is skipped; a case
// changed since it was seen is kept, and returned in kept; if a case still
// has a change in the outbox, nothing is removed.
func (db *DB) PurgeSeen(ctx context.Context, seen []Seen, done string) (purged int, kept []cases.ID, err error) {
	if done != "" {
		if err := checkSettingKey(done); err != nil {
			return 0, nil, fmt.Errorf("purge cases: %w", err)
		}
	}
	err = db.update(func(btx *bolt.Tx) error {
		purged, kept = 0, nil
		t := db.newTx(btx)
		pending := map[cases.ID]bool{}
		if err := t.Outbox(func(o cases.Outbound) bool { pending[o.CaseID] = true; return true }); err != nil {
			return err
		}
		ids := make([]cases.ID, 0, len(seen))
		for i := range seen {
			if !pending[seen[i].ID] && checkID(seen[i].ID) == nil {
				ids = append(ids, seen[i].ID)
			}
		}
		if err := t.fullJournalOf(ids); err != nil {
			return err
		}
		var stamp [stampLen]byte
		for i := range seen {
			if err := ctx.Err(); err != nil {
				return err
			}
			s := &seen[i]
			if pending[s.ID] {
				return fmt.Errorf("case %s: %w", s.ID, ErrPendingOutbound)
			}
			if err := checkID(s.ID); err != nil {
				return fmt.Errorf("case %s: %w", s.ID, err)
			}
			key, raw, err := t.caseRecord(s.ID)
			if err != nil {
				return err
			}
			if raw == nil {
				continue
			}
			if len(raw) >= stampLen {
				stampOf(&stamp, raw)
			}
			vals, tally := s.vals, s.tally
			if len(raw) < stampLen || !bytes.Equal(stamp[:], s.stamp[:]) {
				c, err := t.decodeCase([]byte(s.ID), key, raw)
				if err != nil {
					return err
				}
				if c.Version != s.Version {
					kept = append(kept, s.ID)
					continue
				}
				vals, tally = t.indexValuesOf(c), cases.TallyOf(c, t.unit)
			}
			for _, e := range vals.entries(s.ID) {
				if err := btx.Bucket([]byte(e.bucket)).Delete(e.key); err != nil {
					return fmt.Errorf("case %s: index %s: %w", s.ID, e.bucket, err)
				}
			}
			if err := t.deleteCase(s.ID); err != nil {
				return fmt.Errorf("case %s: %w", s.ID, err)
			}
			t.noteTally(s.ID, tally)
			purged++
		}
		if done != "" {
			b, err := settingsBucket(btx)
			if err != nil {
				return err
			}
			if err := b.Delete([]byte(done)); err != nil {
				return err
			}
		}
		return t.flushStats()
	})
	if err != nil {
		return 0, nil, fmt.Errorf("purge cases: %w", err)
	}
	db.log.Info("cases purged", "cases", purged, "kept", len(kept))
	return purged, kept, nil
}

// noteTally is noteStats for a case removed, by its tally.
func (t *tx) noteTally(id cases.ID, tally cases.StatsTally) {
	if !t.statsCounts(id) {
		return
	}
	if t.stats == nil {
		t.stats = newStatsSums()
	}
	t.stats.add(tally, -1)
}
