package booking

import (
	"testing"
	"time"
)

// TestCancelBooking: a cancellation names the booking it cancels, so one
// sent for a booking that was cancelled and replaced by another patient's
// in the meantime is declined (NotBooked) and the new booking stays.
func TestCancelBooking(t *testing.T) {
	now := stockholm(2026, 12, 7, 9, 0)
	f := newFixture(t, now)
	f.must(f.d.PutType(ctx, visit))
	id := f.addSlot(now.Add(72*time.Hour), clinA, visit.ID, 30)
	staff := Actor{Staff: staff1}
	first, err := f.d.Book(ctx, id, staff, BookRequest{Patient: pnr1})
	f.must(err)
	f.must(f.d.CancelBooking(ctx, id, first.ID, staff, "Sjuk"))
	second, err := f.d.Book(ctx, id, staff, BookRequest{Patient: pnr2})
	f.must(err)
	if got := code(f.d.CancelBooking(ctx, id, first.ID, staff, "Sjuk")); got != NotBooked {
		t.Fatalf("a cancellation of the first booking, sent again: %q, want %q", got, NotBooked)
	}
	s, err := f.d.Slot(ctx, id)
	f.must(err)
	if s.Booking == nil || s.Booking.ID != second.ID {
		t.Fatalf("the second patient's booking is gone: %+v", s.Booking)
	}
	if got := code(f.d.CancelBooking(ctx, id, second.ID, Actor{Patient: pnr1}, "")); got != NotYours {
		t.Fatalf("another patient's cancellation: %q, want %q", got, NotYours)
	}
	f.must(f.d.CancelBooking(ctx, id, second.ID, staff, "Sjuk"))
}
