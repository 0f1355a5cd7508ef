package booking

import (
	"context"

	"clinicgw/sync/wire"
)

// The patient's consent over the sync: the central store sends the
// patient's current choice with every book and rebook request
// (wire.BookingReminder); the booking keeps it.

// contactOf is a request's consent as the diary keeps it; nil for none.
func contactOf(r *wire.BookingReminder) *ReminderContact {
	if r == nil {
		return nil
	}
	return &ReminderContact{Mobile: r.Mobile, Email: r.Email, Lang: r.Lang}
}

// consentOfRebook sets the consent of the booking that the rebook request
// r moved to r.Time to the one r carries (none: the consent ends). It is
// idempotent, and runs also when r is delivered again, so a restart
// between the rebook and it loses nothing.
func (d *Diary) consentOfRebook(ctx context.Context, r wire.BookingRequest) error {
	key, err := keyOf(SlotID(r.Time))
	if err != nil {
		return nil
	}
	remind, ok := contactOf(r.Reminder).checked()
	if !ok {
		remind = nil // the protocol's rules are stricter; never sent
	}
	return d.st.Update(ctx, func(tx Tx) error {
		s, err := loadSlot(tx, key)
		if _, ok := DeclineOf(err); ok {
			return nil
		}
		if err != nil {
			return err
		}
		if s.Booking == nil || s.Booking.Request != r.ID || sameContact(s.Booking.Remind, remind) {
			return nil
		}
		s.Booking.Remind = remind
		return saveSlot(tx, s)
	})
}

func sameContact(a, b *ReminderContact) bool {
	return a == b || (a != nil && b != nil && *a == *b)
}
