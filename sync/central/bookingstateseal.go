package central

import (
	"errors"
	"net/http"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// The unit's bookings sealed to the central store's own key (issue 22;
// wire/bookingstatesealed.go): PUT wire.PathBookingBookingsSealed2 holds
// the parts of the bookings state, each sealed by the unit's gateway to
// the store's sealing key (outseal.go). Every part is opened at receipt,
// bound to the unit of the request's certificate, its place and the
// number of parts; the whole is then applied exactly as a plain PUT of
// wire.PathBookingBookings2. A body any part of which does not open is
// refused with a problem and changes nothing.

// servePutBookingBookingsSealed answers PUT wire.PathBookingBookingsSealed2.
func (s *Store) servePutBookingBookingsSealed(w http.ResponseWriter, r *http.Request, unit string) {
	sb, err := decode(w, r, wire.MaxBodyBytes, wire.DecodeSealedBookingBookings)
	if err != nil {
		s.writeError(w, "bookingBookings", unit, err)
		return
	}
	envs, err := sb.PartBytes()
	if err != nil {
		s.writeError(w, "bookingBookings", unit, err)
		return
	}
	opener := s.outbound.opener(unit)
	pts := make([][]byte, len(envs))
	for i, env := range envs {
		if pts[i], err = opener.Open(seal.BookingBookingsContext(unit, i, len(envs)), env); err != nil {
			s.log.Warn("sealed bookings refused", "unit", unit, "part", i, "err", err)
			p := wire.BadRequest("The sealed bookings do not open with the central store's sealing key: fetch the central store's key again and seal them anew.")
			if errors.Is(err, seal.ErrUnknownKey) || errors.Is(err, seal.ErrRetiredKey) {
				p = wire.SealingKeyUnknown("The sealed bookings name a sealing key the central store does not hold (retired after a rotation, or never its): fetch the central store's key again and seal them anew.")
			}
			wire.WriteProblem(w, *p)
			return
		}
	}
	bb, err := wire.OpenedBookingBookings(pts)
	if err != nil {
		s.log.Warn("sealed bookings refused", "unit", unit, "why", "opens to invalid bookings")
		s.writeError(w, "bookingBookings", unit, err)
		return
	}
	s.putBookingBookings(w, unit, bb, true)
}
