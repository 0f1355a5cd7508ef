package central

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"testing"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// TestSealedBookingsFromTheGateway: the unit's bookings sealed to the
// central store's key open and apply as a plain PUT would. Parts sealed to
// another key, altered, swapped, one dropped, sealed by another unit, or
// opening to invalid bookings are refused (400) and change nothing.
func TestSealedBookingsFromTheGateway(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	pub := e.centralKey()
	bt := bookingTimes()
	body, _ := wire.Marshal(bt)
	if st, _, out := e.do(e.api, unitA, http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, body); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, out)
	}
	sealParts := func(to *seal.PublicKey, unit string, pts [][]byte) []string {
		return sealBookingParts(t, to, unit, pts)
	}
	put := func(parts []string) int {
		t.Helper()
		raw, err := wire.Marshal(wire.SealedBookingBookings{Parts: parts})
		if err != nil {
			t.Fatal(err)
		}
		st, _, _ := e.do(e.api, unitA, http.MethodPut, wire.PathBookingBookingsSealed2, wire.ContentTypeJSON, raw)
		return st
	}
	good := wire.BookingBookings{Bookings: []wire.PatientBooking{{Patient: adultPNR, Time: bt.Times[1]}}, Canceled: []wire.PatientBooking{}}
	pts, err := wire.BookingBookingsParts(good)
	if err != nil {
		t.Fatal(err)
	}
	// Two parts, cut by hand, so that swapping and dropping can be tried.
	whole := pts[0]
	two := [][]byte{whole[:len(whole)/2], whole[len(whole)/2:]}
	if st := put(sealParts(pub, unitA, two)); st != http.StatusNoContent {
		t.Fatalf("sealed bookings: %d", st)
	}
	booked := func() int {
		bs, err := e.store.PatientBookings(ctx, unitA, adultPNR)
		if err != nil {
			t.Fatal(err)
		}
		return len(bs)
	}
	if n := booked(); n != 1 {
		t.Fatalf("after the sealed bookings the patient has %d bookings, want 1", n)
	}
	other, err := seal.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	empty, _ := wire.BookingBookingsParts(wire.BookingBookings{Bookings: []wire.PatientBooking{}, Canceled: []wire.PatientBooking{}})
	emptyTwo := [][]byte{empty[0][:5], empty[0][5:]}
	flipped := sealParts(pub, unitA, emptyTwo)
	b, _ := base64.StdEncoding.DecodeString(flipped[1])
	b[len(b)-3] ^= 1
	flipped[1] = base64.StdEncoding.EncodeToString(b)
	swapped := sealParts(pub, unitA, [][]byte{emptyTwo[1], emptyTwo[0]})
	swapped[0], swapped[1] = swapped[1], swapped[0]
	for _, tc := range []struct {
		name  string
		parts []string
	}{
		{"another key", sealParts(other.Public(), unitA, empty)},
		{"a bit flipped", flipped},
		{"parts swapped", swapped},
		{"a part dropped", sealParts(pub, unitA, emptyTwo)[:1]},
		{"another unit", sealParts(pub, unitB, empty)},
		{"invalid bookings", sealParts(pub, unitA, [][]byte{[]byte(`{"bookings":[{"patient":"1","time":{}}],"canceled":[]}`)})},
	} {
		if st := put(tc.parts); st != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", tc.name, st)
		}
		if n := booked(); n != 1 {
			t.Errorf("%s: the patient has %d bookings after, want 1", tc.name, n)
		}
	}
}
