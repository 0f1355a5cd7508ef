package central

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/atomicfile"
)

// The move of a file from before item 3 (plaintext patient copies, a
// patient index and reminder choices by personnummer) to the sealed form,
// at Open. In batches of migrateBatch values, each its own transaction:
// the index's personnummer keys become keyed hashes, and every value
// atrest.go seals that is still plaintext is sealed. A value once sealed
// is never touched again, so a move cut short (a power cut, a stop) goes
// on where it was at the next Open. Then the file is compacted into a new
// one that replaces it (bbolt keeps old values in its freed pages; the
// new file holds only the live, sealed ones), and meta's keyAtRest says
// so. A file made by this release gets keyAtRest at once: nothing to
// move. The units' events are sealed at rest as they are (their links,
// chain.go, are of the events, not of the stored bytes).

// keyAtRest, in meta: the file's values are sealed at rest (atRestDone).
const (
	keyAtRest  = "at-rest"
	atRestDone = "sealed-v1"
)

// migrateBatch is how many values one transaction of the move changes.
var migrateBatch = 512

// migrateHook, when set (tests), runs after each batch of the move and
// may stop it with an error, as a power cut would.
var migrateHook func(batch int) error

// migrateAtRest moves the file at path to the sealed form if it is not
// there yet, compacting it afterwards; s.db may be replaced.
func (s *Store) migrateAtRest(path string, opts bolt.Options) error {
	var done bool
	if err := s.db.View(func(tx *bolt.Tx) error {
		done = string(tx.Bucket([]byte(bucketMeta)).Get([]byte(keyAtRest))) == atRestDone
		return nil
	}); err != nil || done {
		return err
	}
	moved := 0
	for batch := 1; ; batch++ {
		n := 0
		if err := s.db.Update(func(tx *bolt.Tx) error {
			var err error
			n, err = s.migrateSome(tx, migrateBatch)
			return err
		}); err != nil {
			return fmt.Errorf("seal the file at rest: %w", err)
		}
		moved += n
		if n == 0 {
			break
		}
		if migrateHook != nil {
			if err := migrateHook(batch); err != nil {
				return err
			}
		}
	}
	if err := s.compact(path, opts); err != nil {
		return fmt.Errorf("compact the file sealed at rest: %w", err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(keyAtRest), []byte(atRestDone))
	}); err != nil {
		return err
	}
	s.log.Info("central store sealed at rest", "values", moved)
	return nil
}

// migrateSome seals up to limit plaintext values in tx and returns how
// many it changed.
func (s *Store) migrateSome(tx *bolt.Tx, limit int) (int, error) {
	n := 0
	// The patient index: personnummer keys to keyed hashes.
	idx := tx.Bucket([]byte(bucketPatients))
	type kv struct{ k, v []byte }
	var plain []kv
	_ = idx.ForEach(func(k, v []byte) error {
		if len(plain) < limit && len(k) > 0 && k[0] != '#' {
			plain = append(plain, kv{bytes.Clone(k), bytes.Clone(v)})
		}
		return nil
	})
	for _, e := range plain {
		if len(e.k) <= 12 {
			continue
		}
		if err := idx.Delete(e.k); err != nil {
			return n, err
		}
		if err := idx.Put(patientKey(s.pnrKey(string(e.k[:12])), string(e.k[12:])), e.v); err != nil {
			return n, err
		}
		n++
	}
	if n >= limit {
		return n, nil
	}
	// Cases.
	cases := tx.Bucket([]byte(bucketCases))
	var ids []string
	_ = cases.ForEach(func(k, v []byte) error {
		if len(ids) < limit-n && !bytes.Contains(v, []byte(`"private":`)) {
			ids = append(ids, string(k))
		}
		return nil
	})
	for _, id := range ids {
		c, err := getCase(tx, id)
		if err != nil {
			return n, err
		}
		if c.Private != nil || (c.Patient.PNR == "" && ownerInIndex(tx, id) == "") {
			continue // sealed, or no patient known to seal it for
		}
		if err := s.putCase(tx, c); err != nil {
			return n, err
		}
		n++
	}
	if n >= limit {
		return n, nil
	}
	// Reminder choices: personnummer keys to keyed hashes, values sealed.
	if b := tx.Bucket([]byte(bucketReminders)); b != nil {
		var plain []kv
		_ = b.ForEach(func(k, v []byte) error {
			if len(plain) < limit-n && len(k) > 0 && k[0] != '#' {
				plain = append(plain, kv{bytes.Clone(k), bytes.Clone(v)})
			}
			return nil
		})
		for _, e := range plain {
			owner := s.pnrKey(string(e.k))
			sv, err := s.sealValue(owner, reminderWhere(owner), e.v)
			if err != nil {
				return n, err
			}
			if err := b.Delete(e.k); err != nil {
				return n, err
			}
			if err := b.Put([]byte(owner), sv); err != nil {
				return n, err
			}
			n++
		}
	}
	// Each unit's booking requests, bookings and confirmed items, and
	// its values that name several people.
	units := tx.Bucket([]byte(bucketUnits))
	for _, u := range s.units {
		ub := units.Bucket([]byte(u))
		for _, key := range []string{keyBookingChildren, keyBookingCanceled} {
			v := ub.Get([]byte(key))
			if _, sealed := valueOwner(v); v == nil || sealed || n >= limit {
				continue
			}
			sv, err := s.sealValue(ownerStore, key, bytes.Clone(v))
			if err != nil {
				return n, err
			}
			if err := ub.Put([]byte(key), sv); err != nil {
				return n, err
			}
			n++
		}
		for _, t := range []struct {
			bucket string
			seal   func(k, v []byte) ([]byte, error)
		}{
			{bucketBookingReqs, func(k, v []byte) ([]byte, error) {
				var rec bookingRecord
				if err := json.Unmarshal(v, &rec); err != nil {
					return nil, fmt.Errorf("read a booking request: %w", err)
				}
				return s.sealValue(s.pnrKey(rec.Req.Patient), bookingReqWhere(k), v)
			}},
			{bucketBookings, func(k, v []byte) ([]byte, error) {
				var bk Booked
				if err := json.Unmarshal(v, &bk); err != nil {
					return nil, fmt.Errorf("read a booking: %w", err)
				}
				return s.sealValue(s.pnrKey(bk.Patient), bookedWhere(k), v)
			}},
			{bucketConfirmed, func(k, v []byte) ([]byte, error) {
				return s.sealValue(ownerStore, confirmedWhere(k), v)
			}},
			{bucketEvents, func(k, v []byte) ([]byte, error) {
				return s.sealValue(ownerStore, eventWhere(u, k), v)
			}},
		} {
			if n >= limit {
				return n, nil
			}
			b := ub.Bucket([]byte(t.bucket))
			if b == nil {
				continue
			}
			var plain []kv
			_ = b.ForEach(func(k, v []byte) error {
				if _, sealed := valueOwner(v); len(plain) < limit-n && !sealed && v != nil {
					plain = append(plain, kv{bytes.Clone(k), bytes.Clone(v)})
				}
				return nil
			})
			for _, e := range plain {
				sv, err := t.seal(e.k, e.v)
				if err != nil {
					return n, err
				}
				if err := b.Put(e.k, sv); err != nil {
					return n, err
				}
				n++
			}
		}
	}
	return n, nil
}

// compact copies the live values of the store's file into a new file
// that replaces it (synced, with its folder), and opens that.
func (s *Store) compact(path string, opts bolt.Options) error {
	tmp := path + ".compact"
	_ = os.Remove(tmp) // a copy cut short before
	dst, err := bolt.Open(tmp, 0o600, nil)
	if err != nil {
		return err
	}
	if err := bolt.Compact(dst, s.db, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return err
	}
	if err := errors.Join(dst.Sync(), dst.Close()); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := s.db.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
		return err
	}
	bdb, err := bolt.Open(path, 0o600, &opts)
	if err != nil {
		return err
	}
	s.db = bdb
	return nil
}
