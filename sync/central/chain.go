package central

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// The event chain (protocol v2, see sync/wire): the store's incarnation is
// made when its file is created and kept in the meta bucket; each unit's
// bucket keeps the link of every event beside the event (bucketLinks), set
// in the transaction that appends the event. A file from a release
// without the chain gets an incarnation and its links at Open.

const (
	keyIncarnation = "incarnation" // in the meta bucket: 32 lower-case hex digits
	bucketLinks    = "links"       // in a unit bucket: seq (8 BE) → wire.Link (32 bytes)
)

// initChain makes the incarnation if the file has none and fills in the
// links of events stored without one. It runs in init's transaction.
func (s *Store) initChain(tx *bolt.Tx) error {
	meta := tx.Bucket([]byte(bucketMeta))
	inc := meta.Get([]byte(keyIncarnation))
	if inc == nil {
		var b [wire.IncarnationLen / 2]byte
		if _, err := io.ReadFull(s.rand, b[:]); err != nil {
			return fmt.Errorf("make the incarnation: %w", err)
		}
		inc = []byte(hex.EncodeToString(b[:]))
		if err := meta.Put([]byte(keyIncarnation), inc); err != nil {
			return err
		}
	}
	s.incarnation = string(inc)
	units := tx.Bucket([]byte(bucketUnits))
	for _, u := range s.units {
		ub := units.Bucket([]byte(u))
		links, err := ub.CreateBucketIfNotExists([]byte(bucketLinks))
		if err != nil {
			return err
		}
		events := ub.Bucket([]byte(bucketEvents))
		if uint64(links.Stats().KeyN) == events.Sequence() {
			continue
		}
		prev := wire.Genesis(s.incarnation)
		c := events.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if l := links.Get(k); len(l) == len(prev) {
				copy(prev[:], l)
				continue
			}
			var ev wire.Event
			if err := s.openJSON(eventWhere(u, k), v, &ev); err != nil {
				return fmt.Errorf("unit %s: read event %d: %w", u, binary.BigEndian.Uint64(k), err)
			}
			prev = wire.NextLink(prev, ev)
			if err := links.Put(k, prev[:]); err != nil {
				return err
			}
		}
	}
	return nil
}

// incarnationOf reads the incarnation in tx.
func incarnationOf(tx *bolt.Tx) string {
	return string(tx.Bucket([]byte(bucketMeta)).Get([]byte(keyIncarnation)))
}

// linkAt returns the link at seq in a unit's chain: the genesis link for
// 0; false if the unit has no event seq.
func linkAt(tx *bolt.Tx, unit string, seq uint64) (wire.Link, bool) {
	if seq == 0 {
		return wire.Genesis(incarnationOf(tx)), true
	}
	var l wire.Link
	v := unitBucket(tx, unit).Bucket([]byte(bucketLinks)).Get(seqKey(seq))
	if len(v) != len(l) {
		return l, false
	}
	copy(l[:], v)
	return l, true
}

// putLink stores the link of the event ev, just appended at ev.Seq.
func putLink(tx *bolt.Tx, unit string, ev *wire.Event) error {
	prev, ok := linkAt(tx, unit, ev.Seq-1)
	if !ok {
		return fmt.Errorf("unit %s: no link at event %d", unit, ev.Seq-1)
	}
	l := wire.NextLink(prev, *ev)
	return unitBucket(tx, unit).Bucket([]byte(bucketLinks)).Put(seqKey(ev.Seq), l[:])
}

// Incarnation returns the store's incarnation: a random id made when its
// file was created (a file restored from a copy has the copy's).
func (s *Store) Incarnation() string { return s.incarnation }

// Backup writes a consistent copy of the store's file to path (a new
// file, synced), from one read transaction, while the store serves.
func (s *Store) Backup(ctx context.Context, path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("back up the central store: %w", err)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		_, err := tx.WriteTo(f)
		return err
	})
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		os.Remove(path)
		return fmt.Errorf("back up the central store: %w", err)
	}
	return nil
}

// appendChain appends the chain member of a page asked from after whose
// cursor is cursor, as wire.Marshal writes a wire.ChainedPage's.
func appendChain(buf []byte, tx *bolt.Tx, unit string, after, cursor uint64) []byte {
	head := unitBucket(tx, unit).Bucket([]byte(bucketEvents)).Sequence()
	buf = append(buf, `,"chain":{"incarnation":"`...)
	buf = append(buf, incarnationOf(tx)...)
	buf = append(buf, `","head":`...)
	buf = strconv.AppendUint(buf, head, 10)
	base, ok := linkAt(tx, unit, after)
	if !ok {
		return append(buf, '}')
	}
	end, _ := linkAt(tx, unit, cursor) // the page's events are stored, with their links
	buf = append(buf, `,"base":"`...)
	buf = hex.AppendEncode(buf, base[:])
	buf = append(buf, `","end":"`...)
	buf = hex.AppendEncode(buf, end[:])
	return append(buf, `"}`...)
}
