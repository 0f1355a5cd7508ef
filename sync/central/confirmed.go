package central

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// A unit's confirmed items (wire.PathConfirmed2): every outbox item this
// store accepts is kept, as the gateway sent it (with whom on the unit's
// staff it names, from wire.PathOutbox2), in the unit's
// bucketConfirmed under a new seq, for Options.Retention, so that a
// gateway restored from its own backup gets back what it sent after the
// backup. Older ones are dropped when new ones are kept; the newest time
// of record dropped is kept under keyConfirmedDropped, so that a page
// says whether it is complete. The unit's events are never dropped: this
// store keeps them for as long as the file lives.

// DefaultRetention is how long a unit's confirmed items are kept when
// Options.Retention is zero: longer than a gateway keeps its own
// (cases.DefaultSyncRetention, 30 days), so that either end restored
// from a copy that old gets back what the other confirmed.
const DefaultRetention = 90 * 24 * time.Hour

// confirmedRecord is one confirmed item.
type confirmedRecord struct {
	ConfirmedAt time.Time       `json:"confirmedAt"`
	Item        wire.OutboxItem `json:"item"`
	// Author and Assignee are the HSA-IDs the gateway named with the item
	// (wire.ItemStaff): given back to the unit only.
	Author   string `json:"author,omitempty"`
	Assignee string `json:"assignee,omitempty"`
}

// keepConfirmed keeps it, accepted now, with whom on the unit's staff it
// names, in the unit's confirmed items and drops those older than the
// retention.
func (s *Store) keepConfirmed(ub *bolt.Bucket, it wire.OutboxItem, staff wire.ItemStaff, now time.Time) error {
	b := ub.Bucket([]byte(bucketConfirmed))
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	raw, err := s.sealJSON(ownerStore, confirmedWhere(seqKey(seq)), confirmedRecord{ConfirmedAt: now.UTC(), Item: it, Author: staff.AuthorHSAID, Assignee: staff.AssigneeHSAID})
	if err != nil {
		return fmt.Errorf("confirmed item: %w", err)
	}
	if err := b.Put(seqKey(seq), raw); err != nil {
		return err
	}
	horizon := now.Add(-s.retention)
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.First() {
		var rec confirmedRecord
		if err := s.openJSON(confirmedWhere(k), v, &rec); err != nil {
			return fmt.Errorf("confirmed item %d: %w", binary.BigEndian.Uint64(k), err)
		}
		if !rec.ConfirmedAt.Before(horizon) {
			return nil
		}
		if err := c.Delete(); err != nil {
			return err
		}
		at, _ := rec.ConfirmedAt.MarshalText()
		if err := ub.Put([]byte(keyConfirmedDropped), at); err != nil {
			return err
		}
	}
	return nil
}

// serveConfirmed answers GET wire.PathConfirmed2.
func (s *Store) serveConfirmed(w http.ResponseWriter, r *http.Request, unit string) {
	q, err := wire.ParseConfirmedQuery(r.URL.Query())
	if err != nil {
		s.writeError(w, "confirmed", unit, err)
		return
	}
	page := wire.ConfirmedPage{Items: []wire.ConfirmedItem{}, Complete: true}
	err = s.db.View(func(tx *bolt.Tx) error {
		ub := unitBucket(tx, unit)
		if raw := ub.Get([]byte(keyConfirmedDropped)); raw != nil {
			var dropped time.Time
			if err := dropped.UnmarshalText(raw); err != nil {
				return fmt.Errorf("confirmed items dropped: %w", err)
			}
			page.Complete = dropped.Before(q.Since)
		}
		c := ub.Bucket([]byte(bucketConfirmed)).Cursor()
		for k, v := c.Seek(seqKey(q.After + 1)); k != nil && len(page.Items) < q.Limit; k, v = c.Next() {
			var rec confirmedRecord
			if err := s.openJSON(confirmedWhere(k), v, &rec); err != nil {
				return fmt.Errorf("confirmed item %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if rec.ConfirmedAt.Before(q.Since) {
				continue
			}
			page.Items = append(page.Items, wire.ConfirmedItem{Seq: binary.BigEndian.Uint64(k), ConfirmedAt: rec.ConfirmedAt, Item: rec.Item,
				AuthorHSAID: rec.Author, AssigneeHSAID: rec.Assignee})
		}
		return s.sealConfirmed(tx, unit, page.Items) // confirmedseal.go
	})
	if err != nil {
		s.writeError(w, "confirmed", unit, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if err := wire.WriteJSON(w, http.StatusOK, page); err != nil {
		s.log.Error("confirmed response", "unit", unit, "err", err)
		return
	}
	s.log.Info("confirmed items served", "unit", unit, "items", len(page.Items), "complete", page.Complete)
}
