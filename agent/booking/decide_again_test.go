package booking

import (
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// TestDecideSamePatientAgain: a patient's second request for a time they
// already hold (their first click's answer lost when the central store
// was killed, so they clicked again: a new request id) is confirmed, not
// declined as "booked by someone else"; whichever of the two is decided
// first books, the diary changes once, and another patient is still
// declined.
func TestDecideSamePatientAgain(t *testing.T) {
	now := stockholm(2026, 5, 4, 9, 0)
	f := newFixture(t, now)
	f.must(f.d.PutType(ctx, visit))
	a := f.addSlot(now.Add(72*time.Hour), clinA, visit.ID, 30)
	at := now.UTC()
	for _, x := range []struct {
		r    wire.BookingRequest
		want wire.BookingDecision
	}{
		{wire.BookingRequest{ID: "again", Kind: wire.BookingBook, Patient: pnr1, Time: string(a), At: at},
			wire.BookingDecision{Request: "again", Outcome: wire.BookingConfirmed}},
		{wire.BookingRequest{ID: "first", Kind: wire.BookingBook, Patient: pnr1, Time: string(a), At: at},
			wire.BookingDecision{Request: "first", Outcome: wire.BookingConfirmed}},
		{wire.BookingRequest{ID: "other", Kind: wire.BookingBook, Patient: pnr2, Time: string(a), At: at},
			wire.BookingDecision{Request: "other", Outcome: wire.BookingDeclined, Reason: "taken"}},
	} {
		got, err := f.d.Decide(ctx, x.r)
		f.must(err)
		if got != x.want {
			t.Errorf("%s: %+v; want %+v", x.r.ID, got, x.want)
		}
	}
	s, err := f.d.Slot(ctx, a)
	f.must(err)
	if s.Booking == nil || s.Booking.Patient != pnr1 || s.Booking.Request != "again" || len(s.Canceled) != 0 {
		t.Errorf("the diary after both requests: %+v; want the one booking of the request decided first", s)
	}
}
