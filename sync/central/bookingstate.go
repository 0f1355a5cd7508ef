package central

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// The unit's bookings from its gateway (PUT wire.PathBookingBookings2):
// every coming booking in the diary with its patient, and the coming times
// the unit cancelled. They replace the unit's confirmed bookings
// (bucketBookings), so what staff did in the diary (a phone booking, a
// rebooking, a cancellation) shows in the patient's "Bokade tider" as a
// patient's own confirmed request does; the cancellations are kept under
// keyBookingCanceled for the page to say so.

const keyBookingCanceled = "booking-canceled" // in a unit bucket: the []wire.PatientBooking JSON the unit cancelled

// servePutBookingBookings answers PUT wire.PathBookingBookings2.
func (s *Store) servePutBookingBookings(w http.ResponseWriter, r *http.Request, unit string) {
	bb, err := decode(w, r, wire.MaxBodyBytes, wire.DecodeBookingBookings)
	if err != nil {
		s.writeError(w, "bookingBookings", unit, err)
		return
	}
	s.putBookingBookings(w, unit, bb, false)
}

// putBookingBookings replaces the unit's bookings by bb (plain, or opened
// by bookingstateseal.go: sealed) and answers.
func (s *Store) putBookingBookings(w http.ResponseWriter, unit string, bb wire.BookingBookings, sealed bool) {
	canceled, err := s.sealJSON(ownerStore, keyBookingCanceled, bb.Canceled)
	if err == nil {
		err = s.db.Update(func(tx *bolt.Tx) error {
			ub := unitBucket(tx, unit)
			if err := s.outboundSealing(ub, unit, sealed, 1); err != nil {
				return err
			}
			if err := checkBookingsVersion(ub, bb); err != nil { // bookingversion.go
				return err
			}
			if ub.Bucket([]byte(bucketBookings)) != nil {
				if err := ub.DeleteBucket([]byte(bucketBookings)); err != nil {
					return err
				}
			}
			bookings, err := ub.CreateBucket([]byte(bucketBookings))
			if err != nil {
				return err
			}
			for _, x := range bb.Bookings {
				v, err := s.sealJSON(s.pnrKey(x.Patient), bookedWhere([]byte(x.Time.ID)), Booked{Time: x.Time, Patient: x.Patient})
				if err != nil {
					return err
				}
				if err := bookings.Put([]byte(x.Time.ID), v); err != nil {
					return err
				}
			}
			return ub.Put([]byte(keyBookingCanceled), canceled)
		})
	}
	if err != nil {
		s.writeError(w, "bookingBookings", unit, err)
		return
	}
	s.log.Info("booking state taken", "unit", unit, "bookings", len(bb.Bookings), "canceled", len(bb.Canceled))
	noContent(w)
}

// CanceledBookings returns the patient's (and their children's under 13)
// coming times the unit cancelled, in start order.
func (s *Store) CanceledBookings(ctx context.Context, unit, pnr string) ([]Booked, error) {
	if !s.unitSet[unit] {
		return nil, ErrUnknownUnit
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	var out []Booked
	err := s.db.View(func(tx *bolt.Tx) error {
		ub := unitBucket(tx, unit)
		v := ub.Get([]byte(keyBookingCanceled))
		if v == nil {
			return nil
		}
		var all []wire.PatientBooking
		if err := s.openJSON(keyBookingCanceled, v, &all); err != nil {
			return fmt.Errorf("read the unit's cancelled bookings: %w", err)
		}
		kids, err := s.childrenOf(ub, pnr, now) // a guardian's children's too
		if err != nil {
			return err
		}
		for _, x := range all {
			name, child := kids[x.Patient]
			if (x.Patient == pnr || child) && x.Time.Start.After(now) {
				out = append(out, Booked{Time: x.Time, Patient: x.Patient, Child: name})
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b Booked) int { return a.Time.Start.Compare(b.Time.Start) })
	return out, err
}
