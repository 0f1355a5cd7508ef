package wire

import (
	"strings"
	"testing"
	"time"
)

func canonicalBookingTimes() BookingTimes {
	return BookingTimes{Times: []BookingTime{
		{ID: "tQ7VJ3KXN2M4P5R6S7TAUBV2W3", Start: time.Date(2026, 12, 27, 7, 0, 0, 0, time.UTC), Minutes: 30,
			TypeID: "lakare-30", Type: "Besök", Clinician: "Anna Läkare", Rebook: true, Cancel: true},
		{ID: "tB4C5D6E7F2G3H4I5J6K7L2M3N", Start: time.Date(2026, 12, 27, 7, 30, 0, 0, time.UTC), Minutes: 20,
			TypeID: "ssk-20", Type: "Samtal", Clinician: ""},
	}}
}

func canonicalBookingRequestPage() BookingRequestPage {
	at := time.Date(2026, 12, 7, 6, 40, 0, 0, time.UTC)
	return BookingRequestPage{Requests: []BookingRequest{
		{ID: "br-1", Kind: BookingBook, Patient: "198004019816", Time: "tQ7VJ3KXN2M4P5R6S7TAUBV2W3", At: at},
		{ID: "br-2", Kind: BookingRebook, Patient: "198004019816", Time: "tZ2Y3X4W5V6U7T2S3R4Q5P6O7N",
			From: "tQ7VJ3KXN2M4P5R6S7TAUBV2W3", At: at},
		{ID: "br-3", Kind: BookingCancel, Patient: "198004019816", Time: "tZ2Y3X4W5V6U7T2S3R4Q5P6O7N", At: at},
	}}
}

func canonicalBookingDecisions() BookingDecisions {
	return BookingDecisions{Decisions: []BookingDecision{
		{Request: "br-1", Outcome: BookingConfirmed}, {Request: "br-2", Outcome: BookingDeclined, Reason: "taken"}}}
}

// TestBookingValidate: the rules of the booking bodies, one broken at a
// time.
func TestBookingValidate(t *testing.T) {
	tests := []struct {
		name string
		v    func() Body
		ok   bool
	}{
		{"times canonical", func() Body { return canonicalBookingTimes() }, true},
		{"times empty", func() Body { return BookingTimes{Times: []BookingTime{}} }, true},
		{"times missing", func() Body { return BookingTimes{} }, false},
		{"time id twice", func() Body { b := canonicalBookingTimes(); b.Times[1].ID = b.Times[0].ID; return b }, false},
		{"time id not a token", func() Body { b := canonicalBookingTimes(); b.Times[0].ID = "a b"; return b }, false},
		{"time zero start", func() Body { b := canonicalBookingTimes(); b.Times[0].Start = time.Time{}; return b }, false},
		{"time no length", func() Body { b := canonicalBookingTimes(); b.Times[0].Minutes = 0; return b }, false},
		{"time too long", func() Body { b := canonicalBookingTimes(); b.Times[0].Minutes = MaxBookingMinutes + 1; return b }, false},
		{"time no type name", func() Body { b := canonicalBookingTimes(); b.Times[0].Type = ""; return b }, false},
		{"time type name too long", func() Body {
			b := canonicalBookingTimes()
			b.Times[0].Type = strings.Repeat("å", MaxBookingTypeLen+1)
			return b
		}, false},
		{"time clinician with a line break", func() Body { b := canonicalBookingTimes(); b.Times[0].Clinician = "A\nB"; return b }, false},
		{"requests canonical", func() Body { return canonicalBookingRequestPage() }, true},
		{"requests missing", func() Body { return BookingRequestPage{} }, false},
		{"request unknown kind", func() Body { p := canonicalBookingRequestPage(); p.Requests[0].Kind = "hold"; return p }, false},
		{"request bad personnummer", func() Body { p := canonicalBookingRequestPage(); p.Requests[0].Patient = "19800401-9816"; return p }, false},
		{"rebook without from", func() Body { p := canonicalBookingRequestPage(); p.Requests[1].From = ""; return p }, false},
		{"book with from", func() Body { p := canonicalBookingRequestPage(); p.Requests[0].From = "x"; return p }, false},
		{"request id twice", func() Body { p := canonicalBookingRequestPage(); p.Requests[1].ID = "br-1"; return p }, false},
		{"request zero time", func() Body { p := canonicalBookingRequestPage(); p.Requests[0].At = time.Time{}; return p }, false},
		{"decisions canonical", func() Body { return canonicalBookingDecisions() }, true},
		{"decisions empty", func() Body { return BookingDecisions{Decisions: []BookingDecision{}} }, false},
		{"confirmed with a reason", func() Body { d := canonicalBookingDecisions(); d.Decisions[0].Reason = "taken"; return d }, false},
		{"declined without a reason", func() Body { d := canonicalBookingDecisions(); d.Decisions[1].Reason = ""; return d }, false},
		{"unknown outcome", func() Body { d := canonicalBookingDecisions(); d.Decisions[0].Outcome = "booked"; return d }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v().Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v; want ok %v", err, tt.ok)
			}
		})
	}
}

func FuzzDecodeBookingTimes(f *testing.F) { fuzzDecoder(f, "booking-times", DecodeBookingTimes) }
func FuzzDecodeBookingRequestPage(f *testing.F) {
	fuzzDecoder(f, "booking-request-page", DecodeBookingRequestPage)
}
func FuzzDecodeBookingDecisions(f *testing.F) {
	fuzzDecoder(f, "booking-decisions", DecodeBookingDecisions)
}

// TestBookingBookingsValidate: the unit's bookings carry a personnummer
// and a valid time each, a time booked once; both lists are required.
func TestBookingBookingsValidate(t *testing.T) {
	tm := BookingTime{ID: "tABC", Start: time.Date(2026, 12, 9, 8, 0, 0, 0, time.UTC), Minutes: 30, TypeID: "besok-30", Type: "Besök"}
	pnr := "198004019811"
	ok := BookingBookings{Bookings: []PatientBooking{{Patient: pnr, Time: tm}}, Canceled: []PatientBooking{{Patient: pnr, Time: tm}, {Patient: "199211309900", Time: tm}}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]BookingBookings{
		"no bookings":  {Canceled: []PatientBooking{}},
		"no canceled":  {Bookings: []PatientBooking{}},
		"bad pnr":      {Bookings: []PatientBooking{{Patient: "19800401", Time: tm}}, Canceled: []PatientBooking{}},
		"booked twice": {Bookings: []PatientBooking{{Patient: pnr, Time: tm}, {Patient: "199211309900", Time: tm}}, Canceled: []PatientBooking{}},
		"bad time":     {Bookings: []PatientBooking{{Patient: pnr, Time: BookingTime{ID: "x y"}}}, Canceled: []PatientBooking{}},
	}
	for name, b := range bad {
		if err := b.Validate(); err == nil {
			t.Errorf("%s: valid", name)
		}
	}
	raw, err := Marshal(ok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeBookingBookings(strings.NewReader(string(raw))); err != nil {
		t.Fatal(err)
	}
}

func canonicalBookingBookings() BookingBookings {
	tm := BookingTime{ID: "tQ7VJ3KXN2M4P5R6S7TAUBV2W3", Start: time.Date(2026, 12, 27, 7, 0, 0, 0, time.UTC), Minutes: 30,
		TypeID: "lakare-30", Type: "Besök", Clinician: "Anna Läkare", Rebook: true, Cancel: true}
	gone := tm
	gone.ID, gone.Start = "tA2B3C4D5E6F7G2H3I4J5K6L7M", time.Date(2026, 12, 28, 8, 0, 0, 0, time.UTC)
	return BookingBookings{Bookings: []PatientBooking{{Patient: "198004019811", Time: tm}},
		Canceled: []PatientBooking{{Patient: "199211309900", Time: gone}}}
}

func FuzzDecodeBookingBookings(f *testing.F) {
	fuzzDecoder(f, "booking-bookings", DecodeBookingBookings)
}
