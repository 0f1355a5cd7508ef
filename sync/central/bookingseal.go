package central

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// Sealed booking requests (issue 22; wire/bookingsealed.go): for a unit
// whose sealing is on, each request served at GET
// wire.PathBookingRequests2 has its patient and reminder sealed to the
// unit's current key (the epochs of the unit's events), bound to the
// unit, the request's id and its kind; its id, kind, times and instant
// stay in the clear. A unit with sealing off gets them plain, as before.

// sealBookingRequests seals reqs in place for unit when its sealing is on
// in tx.
func (s *Store) sealBookingRequests(tx *bolt.Tx, unit string, reqs []wire.BookingRequest) error {
	pub, err := s.sealingKey(tx, unit)
	if err != nil || pub == nil || len(reqs) == 0 {
		return err
	}
	for i, r := range reqs {
		pt, err := wire.SealedBookingContent(r)
		if err != nil {
			return fmt.Errorf("seal booking request %s: %w", r.ID, err)
		}
		env, err := s.sealer.Seal(pub, seal.BookingContext(unit, r.ID, r.Kind), pt)
		if err != nil {
			return fmt.Errorf("seal booking request %s: %w", r.ID, err)
		}
		reqs[i] = wire.SealBookingRequest(r, env)
	}
	return nil
}
