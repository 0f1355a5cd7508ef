package central

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// Forgetting a patient (crypto-shredding, issue 22's "delete my account").
// ForgetPatient removes the patient's data key from the key ring
// (keyring.go: the ring file is replaced whole without it) and then, in
// one transaction, their entries in the patient index (as patient and as
// guardian) and their reminder choice. From the moment the ring is
// replaced, every value sealed under their key (their cases' patient
// copies with the thread, their booking requests and bookings, their
// reminder choice) reads as forgotten, in this file and in every backup
// of it: the key is in no file the store writes. The rest of the file
// stays as it was: the case records keep their routing (unit, case id,
// form, times, status) and the unit's event log keeps what it sealed to
// the unit, which is the care unit's record, not this store's. A case a
// guardian wrote for a child belongs to the child (sealed under the
// child's key, the guardian's name inside it): forgetting the guardian
// removes only their way to it. The same person who logs in later starts
// afresh under a new key; what the old key sealed does not open with it.
//
// The patient pages offer it as "Radera mitt konto" (account.go).

// ForgetPatient forgets the patient pnr and returns how many cases left
// their list. Forgetting someone the store does not know is no error.
func (s *Store) ForgetPatient(ctx context.Context, pnr string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	pnr, ok := s.normalPNR(pnr)
	if !ok {
		return 0, ErrNotFound
	}
	owner := s.pnrKey(pnr)
	if _, err := s.ring.forget(owner); err != nil {
		return 0, fmt.Errorf("forget a patient: %w", err)
	}
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		idx := tx.Bucket([]byte(bucketPatients))
		for _, prefix := range [][]byte{[]byte(owner), []byte(pnr)} { // a file from before keeps plain ones
			var keys [][]byte
			c := idx.Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				keys = append(keys, bytes.Clone(k))
			}
			for _, k := range keys {
				if err := idx.Delete(k); err != nil {
					return err
				}
			}
			n += len(keys)
		}
		for _, u := range s.units {
			if err := s.forgetInUnit(unitBucket(tx, u), pnr); err != nil {
				return err
			}
		}
		if b := tx.Bucket([]byte(bucketReminders)); b != nil {
			if err := b.Delete([]byte(owner)); err != nil {
				return err
			}
			return b.Delete([]byte(pnr))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("forget a patient: %w", err)
	}
	s.log.Info("patient forgotten", "cases", n)
	return n, nil
}

// forgetInUnit takes pnr out of the unit's values sealed under the
// store's own key that name several people: the guardians' children (as
// guardian and as child) and the times the unit cancelled.
func (s *Store) forgetInUnit(ub *bolt.Bucket, pnr string) error {
	if ub.Get([]byte(keyBookingChildren)) != nil {
		all, err := s.readChildren(ub)
		if err != nil {
			return err
		}
		delete(all, pnr)
		for g, kids := range all {
			all[g] = slices.DeleteFunc(kids, func(p wire.Person) bool { return p.PNR == pnr })
		}
		v, err := s.sealJSON(ownerStore, keyBookingChildren, all)
		if err != nil {
			return err
		}
		if err := ub.Put([]byte(keyBookingChildren), v); err != nil {
			return err
		}
	}
	if v := ub.Get([]byte(keyBookingCanceled)); v != nil {
		var all []wire.PatientBooking
		if err := s.openJSON(keyBookingCanceled, v, &all); err != nil {
			return fmt.Errorf("read the unit's cancelled bookings: %w", err)
		}
		all = slices.DeleteFunc(all, func(x wire.PatientBooking) bool { return x.Patient == pnr })
		v, err := s.sealJSON(ownerStore, keyBookingCanceled, all)
		if err != nil {
			return err
		}
		return ub.Put([]byte(keyBookingCanceled), v)
	}
	return nil
}
