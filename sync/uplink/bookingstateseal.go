package uplink

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// The unit's bookings sealed to the central store's key (issue 22;
// wire/bookingstatesealed.go). With central.sealing on, the bookings
// state (every coming booking with its patient's personnummer) is sealed
// to the central store's verified key (outseal.go's centralKey) and put
// to wire.PathBookingBookingsSealed2. The no-downgrade mark is the
// outbox's (OutboundMark): once the gateway has sealed to a verified
// central key, a central store that offers no key or answers the sealed
// path 404 gets no plain bookings — they wait (errOutboundWaiting), and
// are put again with the next publication. Before the mark, a central
// store of the previous release gets them plain, as before.

// putBookingsSealed puts bb sealed when central.sealing is on; sent is
// false when bb is to go plain.
func (u *Uplink) putBookingsSealed(ctx context.Context, bb wire.BookingBookings) (sent bool, err error) {
	if !u.cfg.Sealing {
		return false, nil // postOutboxSealed lifts the mark
	}
	key, err := u.centralKey(ctx)
	if errors.Is(err, errCentralKeyNone) || errors.Is(err, errCentralKeyRefused) {
		marked, merr := u.outboundMarked(ctx)
		switch {
		case merr != nil:
			return true, merr
		case errors.Is(err, errCentralKeyRefused):
			return true, err
		case marked:
			return true, errOutboundWaiting
		}
		return false, nil
	}
	if err != nil {
		return true, err
	}
	u.out.mu.Lock()
	unit := u.out.unit
	u.out.mu.Unlock()
	pts, err := wire.BookingBookingsParts(bb)
	if err != nil {
		return true, fmt.Errorf("the unit's bookings: %w", err)
	}
	sb := wire.SealedBookingBookings{Parts: make([]string, len(pts))}
	for i, pt := range pts {
		env, err := seal.Seal(key, seal.BookingBookingsContext(unit, i, len(pts)), pt)
		if err != nil {
			return true, fmt.Errorf("the unit's bookings: %w", err)
		}
		sb.Parts[i] = base64.StdEncoding.EncodeToString(env)
	}
	if err := u.markOutbound(ctx, key.ID().String()); err != nil {
		return true, err
	}
	b, err := wire.Marshal(sb)
	if err != nil {
		return true, fmt.Errorf("the unit's bookings: %w", err)
	}
	err = u.roundTrip(ctx, "bookingBookings", http.MethodPut, wire.PathBookingBookingsSealed2, "", b, nil)
	var se *statusError
	switch {
	case errors.As(err, &se) && se.status == http.StatusNotFound:
		u.forgetCentralKey()
		u.log.Error("the central store takes no sealed bookings now, but the gateway sealed to it before: the bookings wait, nothing goes plain")
		return true, errOutboundWaiting
	case errors.As(err, &se) && se.status == http.StatusBadRequest:
		u.forgetCentralKey() // a key changed at the central store: fetch it again for the next try
	}
	return true, err
}
