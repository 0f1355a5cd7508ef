package uplink

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"clinicgw/sync/wire"
)

// The unit's bookings (wire.PathBookingBookings2): after the free times,
// the push loop's booking round puts every coming booking in the diary and
// the times the unit cancelled, so that what staff did reaches the
// patients' "Bokade tider". Only a booking source that has them
// (BookingStateSource: agent/booking's SyncSource) sends them. A central
// store of the release before answers 404: logged once, the free times
// still published, and tried again with the next publication.

// BookingStateSource is a booking source that also tells the unit's
// bookings of patients.
type BookingStateSource interface {
	Bookings(ctx context.Context) (wire.BookingBookings, error)
}

// publishBookings puts src's bookings if it has them.
func (u *Uplink) publishBookings(ctx context.Context, src BookingSource) error {
	bs, ok := src.(BookingStateSource)
	if !ok {
		return nil
	}
	bb, err := bs.Bookings(ctx)
	if err != nil {
		return fmt.Errorf("the unit's bookings: %w", err)
	}
	if bb.Version, err = u.nextBookingsVersion(ctx); err != nil { // bookingversion.go
		return err
	}
	if sent, err := u.putBookingsSealed(ctx, bb); sent { // bookingstateseal.go
		if err == nil {
			u.log.Info("bookings published sealed", "bookings", len(bb.Bookings), "canceled", len(bb.Canceled))
		}
		return err
	}
	b, err := wire.Marshal(bb)
	if err != nil {
		return fmt.Errorf("the unit's bookings: %w", err)
	}
	err = u.roundTrip(ctx, "bookingBookings", http.MethodPut, wire.PathBookingBookings2, "", b, nil)
	var se *statusError
	if errors.As(err, &se) && se.status == http.StatusNotFound {
		if !u.bookingsNoOffer.Swap(true) {
			u.log.Warn("the central store does not take the unit's bookings (an older release); patients see only their online bookings")
		}
		return nil
	}
	if err == nil {
		u.bookingsNoOffer.Store(false)
		u.log.Info("bookings published", "bookings", len(bb.Bookings), "canceled", len(bb.Canceled))
	}
	return err
}
