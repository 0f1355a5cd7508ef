package booking

import "context"

// CancelBooking is Cancel of one booking: bookingID must be the booking
// the time has when the transaction reads it, else NotBooked. A caller
// that names a time by a booking it read earlier (the integration API's
// Appointment) thus never cancels another patient's booking made on the
// same time in the meantime.
func (d *Diary) CancelBooking(ctx context.Context, id SlotID, bookingID string, who Actor, reason string) error {
	if bookingID == "" {
		return decline(BadRequest)
	}
	return d.cancel(ctx, id, who, reason, "", bookingID)
}
