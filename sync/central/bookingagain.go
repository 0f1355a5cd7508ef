package central

import (
	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// heldAlready refuses a patient's book request for a time they already
// have (their first click's answer lost in an outage, or a stale page):
// the gateway could only answer it "booked by someone else".
func (s *Store) heldAlready(ub *bolt.Bucket, kind wire.BookingKind, timeID, pnr string) error {
	if kind != wire.BookingBook {
		return nil
	}
	b, err := s.bookedOf(ub, timeID)
	if err != nil || b == nil || b.Patient != pnr {
		return err
	}
	return inputError("time", "the patient has the time already", swedish("central.page.booking.already"))
}
