package booking

import (
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// TestReminderConsentOverTheSync: the patient's consent that comes with
// a request from the central store is kept with the booking; a rebook
// carries the patient's current choice (another language, or none: the
// consent ends); a request delivered again changes nothing.
func TestReminderConsentOverTheSync(t *testing.T) {
	now := stockholm(2026, 5, 4, 9, 0)
	f := newFixture(t, now)
	f.must(f.d.PutType(ctx, visit))
	a := f.addSlot(now.Add(72*time.Hour), clinA, visit.ID, 30)
	b := f.addSlot(now.Add(96*time.Hour), clinA, visit.ID, 30)
	c := f.addSlot(now.Add(120*time.Hour), clinA, visit.ID, 30)
	at := now.UTC()
	remindOf := func(id SlotID) *ReminderContact {
		t.Helper()
		s, err := f.d.Slot(ctx, id)
		f.must(err)
		if s.Booking == nil {
			t.Fatalf("%s: not booked", id)
		}
		return s.Booking.Remind
	}
	decide := func(r wire.BookingRequest) {
		t.Helper()
		for try := 0; try < 2; try++ {
			got, err := f.d.Decide(ctx, r)
			f.must(err)
			if got.Outcome != wire.BookingConfirmed {
				t.Fatalf("%s: %+v", r.ID, got)
			}
		}
	}
	decide(wire.BookingRequest{ID: "r1", Kind: wire.BookingBook, Patient: pnr1, Time: string(a), At: at,
		Reminder: &wire.BookingReminder{Mobile: "+46701234567", Email: "p@example.se", Lang: "sv"}})
	if r := remindOf(a); r == nil || *r != (ReminderContact{Mobile: "+46701234567", Email: "p@example.se", Lang: "sv"}) {
		t.Errorf("booked: %+v", r)
	}
	decide(wire.BookingRequest{ID: "r2", Kind: wire.BookingRebook, Patient: pnr1, Time: string(b), From: string(a), At: at,
		Reminder: &wire.BookingReminder{Email: "p@example.se", Lang: "en"}})
	if r := remindOf(b); r == nil || *r != (ReminderContact{Email: "p@example.se", Lang: "en"}) {
		t.Errorf("rebooked: %+v", r)
	}
	decide(wire.BookingRequest{ID: "r3", Kind: wire.BookingRebook, Patient: pnr1, Time: string(c), From: string(b), At: at})
	if r := remindOf(c); r != nil {
		t.Errorf("rebooked without consent: %+v", r)
	}
}
