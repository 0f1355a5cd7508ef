package central

import (
	"bytes"
	"errors"
	"log/slog"
	"math/rand/v2"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// downgrade rewrites the store's file as a release before item 3 wrote
// it: every patient copy, booking, reminder choice and confirmed item in
// plaintext, the index and the reminder choices by personnummer, no
// at-rest mark. pnrs are the people in it.
func (e *env) downgrade(pnrs ...string) {
	e.t.Helper()
	s := e.store
	byKey := map[string]string{}
	for _, p := range pnrs {
		byKey[s.pnrKey(p)] = p
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		var ids []string
		_ = tx.Bucket([]byte(bucketCases)).ForEach(func(k, _ []byte) error { ids = append(ids, string(k)); return nil })
		for _, id := range ids {
			c, err := s.getCase(tx, id)
			if err != nil {
				return err
			}
			c.Owner = ""
			if err := putCase(tx, c); err != nil {
				return err
			}
		}
		rekey := func(b *bolt.Bucket, open func(k, v []byte) ([]byte, error), prefixLen func(k []byte) int) error {
			type kv struct{ k, v []byte }
			var all []kv
			_ = b.ForEach(func(k, v []byte) error { all = append(all, kv{bytes.Clone(k), bytes.Clone(v)}); return nil })
			for _, x := range all {
				v, err := open(x.k, x.v)
				if err != nil {
					return err
				}
				k := x.k
				if n := prefixLen(x.k); n > 0 {
					p, ok := byKey[string(x.k[:n])]
					if !ok {
						return errors.New("a person the test does not know")
					}
					k = append([]byte(p), x.k[n:]...)
				}
				if err := b.Delete(x.k); err != nil {
					return err
				}
				if err := b.Put(k, v); err != nil {
					return err
				}
			}
			return nil
		}
		hashLen := func(k []byte) int { return len(s.pnrKey(adultPNR)) }
		keep := func(_, v []byte) ([]byte, error) { return v, nil }
		if err := rekey(tx.Bucket([]byte(bucketPatients)), keep, hashLen); err != nil {
			return err
		}
		if b := tx.Bucket([]byte(bucketReminders)); b != nil {
			if err := rekey(b, func(k, v []byte) ([]byte, error) {
				return s.openValue(reminderWhere(string(k)), v)
			}, hashLen); err != nil {
				return err
			}
		}
		ub := unitBucket(tx, unitA)
		none := func([]byte) int { return 0 }
		for name, where := range map[string]func([]byte) string{
			bucketBookingReqs: bookingReqWhere, bucketBookings: bookedWhere, bucketConfirmed: confirmedWhere,
			bucketEvents: func(k []byte) string { return eventWhere(unitA, k) },
		} {
			if b := ub.Bucket([]byte(name)); b != nil {
				if err := rekey(b, func(k, v []byte) ([]byte, error) { return s.openValue(where(k), v) }, none); err != nil {
					return err
				}
			}
		}
		for _, key := range []string{keyBookingChildren, keyBookingCanceled} {
			if ub.Get([]byte(key)) == nil {
				continue
			}
			pt, err := s.openValue(key, ub.Get([]byte(key)))
			if err != nil {
				return err
			}
			if err := ub.Put([]byte(key), pt); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte(bucketMeta)).Delete([]byte(keyAtRest))
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// TestMigrateAtRest: a file from before (plaintext patient copies, index
// and reminder choices by personnummer) is sealed at Open. A move cut
// short after its first batch keeps what it sealed and goes on at the
// next Open; then the file, compacted, and a backup of it hold no
// canary, and the patient reads everything as before.
func TestMigrateAtRest(t *testing.T) {
	e := newEnv(t)
	e.sealUnit(unitA)
	id, child := e.liveRun(unitA)
	head, err := e.store.Head(e.ctx, unitA)
	if err != nil || head == 0 {
		t.Fatalf("head %d, %v", head, err)
	}
	e.downgrade(adultPNR, childPNR)
	e.close()
	if got := scanFile(t, e.path, restCanaries()...); len(got) < len(restCanaries())-1 {
		t.Fatalf("the downgraded file holds only %q: the scan proves nothing", got)
	}

	stop := errors.New("power cut")
	defer func(b int) { migrateBatch, migrateHook = b, nil }(migrateBatch)
	migrateBatch = 3
	migrateHook = func(batch int) error {
		if batch == 2 {
			return stop
		}
		return nil
	}
	opts := Options{Clock: e.clock, Rand: rand.NewChaCha8([32]byte{9}), Units: []string{unitA, unitB},
		Logger: slog.New(slog.NewJSONHandler(e.logs, nil))}
	if s, err := Open(e.ctx, e.path, opts); !errors.Is(err, stop) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("the interrupted move: %v", err)
	}
	partly, err := bolt.Open(e.path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	sealed, plain := 0, 0
	_ = partly.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketCases)).ForEach(func(_, v []byte) error {
			if bytes.Contains(v, []byte(`"private":`)) {
				sealed++
			} else {
				plain++
			}
			return nil
		})
	})
	partly.Close()
	if sealed == 0 || plain == 0 {
		t.Fatalf("after the cut: %d cases sealed, %d plain; want some of each", sealed, plain)
	}
	migrateHook = nil
	e.open()
	if h, err := e.store.Head(e.ctx, unitA); err != nil || h != head {
		t.Errorf("the unit's head after the move: %d, %v; want %d", h, err, head)
	}
	pc, err := e.store.PatientCase(e.ctx, adultPNR, id)
	if err != nil || pc.Text != restCaseText || len(pc.Messages) != 2 || pc.Messages[1].Text != restStaff {
		t.Errorf("the adult's case after the move: %+v, %v", pc, err)
	}
	if cc, err := e.store.PatientCase(e.ctx, adultPNR, child); err != nil || cc.Patient.Name != childName {
		t.Errorf("the child's case after the move: %+v, %v", cc, err)
	}
	if r, err := e.store.ReminderChoice(e.ctx, adultPNR); err != nil || r == nil || r.Email != restEmail {
		t.Errorf("the reminder choice after the move: %+v, %v", r, err)
	}
	if bk, err := e.store.PatientBookings(e.ctx, unitA, adultPNR); err != nil || len(bk) != 2 || bk[1].Child != childName {
		t.Errorf("the bookings after the move: %+v, %v", bk, err)
	}
	if list, err := e.store.PatientCases(e.ctx, adultPNR); err != nil || len(list) != 3 {
		t.Errorf("the list after the move: %d, %v", len(list), err)
	}
	backup := e.path + ".backup"
	if err := e.store.Backup(e.ctx, backup); err != nil {
		t.Fatal(err)
	}
	if got := e.fileHas(restCanaries()...); len(got) != 0 {
		t.Errorf("the moved file holds %q", got)
	}
	if got := scanFile(t, backup, restCanaries()...); len(got) != 0 {
		t.Errorf("its backup holds %q", got)
	}
	e.checkLogs(restCanaries()...)
}
