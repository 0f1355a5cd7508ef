package booking

import (
	"context"
	"strings"
	"time"
)

// CancelBooking is Cancel of one booking: bookingID must be the booking
// the time has when the transaction reads it, else NotBooked. A caller
// that names a time by a booking it read earlier (the integration API's
// Appointment) thus never cancels another patient's booking made on the
// same time in the meantime.
func (d *Diary) CancelBooking(ctx context.Context, id SlotID, bookingID string, who Actor, reason string) error {
	if !who.valid() || bookingID == "" {
		return decline(BadRequest)
	}
	if who.Staff != "" && strings.TrimSpace(reason) == "" {
		return decline(ReasonRequired)
	}
	return d.change(ctx, id, func(tx Tx, s *Slot, now time.Time) error {
		if err := d.mayChange(tx, s, who, now, false); err != nil {
			return err
		}
		if s.Booking.ID != bookingID {
			return decline(NotBooked)
		}
		c := *s.Booking
		c.Canceled, c.Reason = now, strings.TrimSpace(reason)
		s.Canceled = append(s.Canceled, c)
		s.State, s.Booking = Free, nil
		return saveSlot(tx, s)
	})
}
