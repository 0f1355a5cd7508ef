package central

import (
	"net/http"
	"strings"
	"testing"

	"clinicgw/sync/wire"
)

// TestBookingsFromTheGateway: what staff do in the gateway's diary reaches
// the patient's "Bokade tider": a booking taken by phone shows, a
// rebooking shows the new time and not the old, a cancellation by the unit
// shows as cancelled; another patient sees none of it. A body that is not
// valid changes nothing.
func TestBookingsFromTheGateway(t *testing.T) {
	e := newEnv(t)
	a, b := e.browser(), e.browser()
	a.login(adultPNR, adultName)
	b.login(otherPNR, "Annan Person")
	bt := bookingTimes()
	body, _ := wire.Marshal(bt)
	if st, _, out := e.do(e.api, unitA, http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, body); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, out)
	}
	put := func(bb wire.BookingBookings) int {
		t.Helper()
		raw, err := wire.Marshal(bb)
		if err != nil {
			t.Fatal(err)
		}
		st, _, _ := e.do(e.api, unitA, http.MethodPut, wire.PathBookingBookings2, wire.ContentTypeJSON, raw)
		return st
	}
	phone, moved := bt.Times[1], bt.Times[3]
	mine := func() string { return a.get("/boka/" + unitA).body }

	if st := put(wire.BookingBookings{Bookings: []wire.PatientBooking{{Patient: adultPNR, Time: phone}}, Canceled: []wire.PatientBooking{}}); st != http.StatusNoContent {
		t.Fatalf("PUT bookings: %d", st)
	}
	if p := mine(); !strings.Contains(p, "/avboka/"+phone.ID) {
		t.Errorf("a phone booking is not in Bokade tider:\n%s", p)
	}
	if p := b.get("/boka/" + unitA).body; strings.Contains(p, "/avboka/") {
		t.Errorf("another patient sees the booking:\n%s", p)
	}
	put(wire.BookingBookings{Bookings: []wire.PatientBooking{{Patient: adultPNR, Time: moved}}, Canceled: []wire.PatientBooking{}})
	if p := mine(); !strings.Contains(p, "/avboka/"+moved.ID) || strings.Contains(p, "/avboka/"+phone.ID) {
		t.Errorf("after a rebooking by staff, Bokade tider:\n%s", p)
	}
	put(wire.BookingBookings{Bookings: []wire.PatientBooking{}, Canceled: []wire.PatientBooking{{Patient: adultPNR, Time: moved}}})
	p := mine()
	if strings.Contains(p, "/avboka/"+moved.ID) || !strings.Contains(p, "Avbokade av mottagningen") || !strings.Contains(p, "10:30") {
		t.Errorf("after a cancellation by the unit, Bokade tider:\n%s", p)
	}
	if strings.Contains(b.get("/boka/"+unitA).body, "Avbokade av mottagningen") {
		t.Error("another patient sees the cancellation")
	}
	// Not valid: refused, nothing changed.
	if st, _, _ := e.do(e.api, unitA, http.MethodPut, wire.PathBookingBookings2, wire.ContentTypeJSON, []byte(`{"bookings":[{"patient":"1","time":{}}],"canceled":[]}`)); st != http.StatusBadRequest {
		t.Errorf("a bad body: %d; want 400", st)
	}
	if !strings.Contains(mine(), "Avbokade av mottagningen") {
		t.Error("a refused body changed the bookings")
	}
	e.checkLogs(adultPNR, otherPNR)
}
