package wire

import (
	"bytes"
	"encoding/base64"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func init() {
	schemaTypes["BookingPersonal"] = reflect.TypeFor[BookingPersonal]()
}

func plainBookingRequest() BookingRequest {
	return BookingRequest{ID: "req-1", Kind: BookingRebook, Patient: "199001012380", Time: "t-2", From: "t-1",
		At: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), Reminder: &BookingReminder{Mobile: "+46701234567", Lang: "sv"}}
}

// TestSealedBookingRequestRules: a request is either plain (patient,
// reminder) or sealed (neither), never both, and a sealed one's envelope
// is base64 within its bound.
func TestSealedBookingRequestRules(t *testing.T) {
	env := base64.StdEncoding.EncodeToString([]byte("envelope"))
	for _, tc := range []struct {
		name string
		mod  func(*BookingRequest)
		ok   bool
	}{
		{"plain", func(*BookingRequest) {}, true},
		{"sealed", func(r *BookingRequest) { r.Patient, r.Reminder, r.Sealed = "", nil, env }, true},
		{"sealed with patient", func(r *BookingRequest) { r.Reminder, r.Sealed = nil, env }, false},
		{"sealed with reminder", func(r *BookingRequest) { r.Patient, r.Sealed = "", env }, false},
		{"sealed not base64", func(r *BookingRequest) { r.Patient, r.Reminder, r.Sealed = "", nil, "åäö" }, false},
		{"sealed too long", func(r *BookingRequest) {
			r.Patient, r.Reminder, r.Sealed = "", nil, strings.Repeat("AAAA", MaxSealedBookingLen/4+1)
		}, false},
		{"neither", func(r *BookingRequest) { r.Patient, r.Reminder = "", nil }, false},
	} {
		r := plainBookingRequest()
		tc.mod(&r)
		if err := r.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

// TestOpenedBookingRequest: the plaintext round-trips; one naming
// another request's times, or invalid, is refused.
func TestOpenedBookingRequest(t *testing.T) {
	r := plainBookingRequest()
	pt, err := SealedBookingContent(r)
	if err != nil {
		t.Fatal(err)
	}
	s := SealBookingRequest(r, []byte("envelope"))
	if s.Patient != "" || s.Reminder != nil || s.Validate() != nil {
		t.Fatalf("sealed form %+v", s)
	}
	got, err := OpenedBookingRequest(s, pt)
	if err != nil || !reflect.DeepEqual(got, r) {
		t.Fatalf("opened %+v, %v; want %+v", got, err, r)
	}
	moved := s
	moved.Time = "t-3"
	if _, err := OpenedBookingRequest(moved, pt); err == nil {
		t.Error("an envelope of another request's times opened")
	}
	for _, bad := range []string{`{}`, `{"patient":"199001012380","reminder":null,"time":"t-2","from":"t-1","x":1}`,
		`{"patient":"19900101238","reminder":null,"time":"t-2","from":"t-1"}`, `[`} {
		if _, err := OpenedBookingRequest(s, []byte(bad)); err == nil {
			t.Errorf("%s opened", bad)
		}
	}
}

// FuzzOpenedBookingRequest: the decoder of a sealed request's plaintext
// never panics, and what it accepts is a valid plain request with the
// sealed one's id, kind and times.
func FuzzOpenedBookingRequest(f *testing.F) {
	r := plainBookingRequest()
	pt, _ := SealedBookingContent(r)
	f.Add(pt)
	f.Add([]byte(`{"patient":"199001012380","reminder":null,"time":"t-2","from":"t-1"}`))
	s := SealBookingRequest(r, []byte("envelope"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := OpenedBookingRequest(s, b)
		if err != nil {
			return
		}
		if got.Validate() != nil || got.Sealed != "" || got.ID != s.ID || got.Kind != s.Kind || got.Time != s.Time || got.From != s.From {
			t.Fatalf("accepted %q as %+v", b, got)
		}
	})
}

// FuzzDecodeSealedBookingRequestPage: a page with sealed requests never
// panics the decoder, and what it accepts validates.
func FuzzDecodeSealedBookingRequestPage(f *testing.F) {
	s := SealBookingRequest(plainBookingRequest(), []byte("envelope"))
	b, _ := Marshal(BookingRequestPage{Requests: []BookingRequest{s}})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		pg, err := DecodeBookingRequestPage(bytes.NewReader(b))
		if err != nil {
			return
		}
		if err := pg.Validate(); err != nil {
			t.Fatalf("accepted an invalid page: %v", err)
		}
	})
}

// The sealed bookings body joins the package's tables: the golden files,
// the decoders' fuzz targets and mutations, the OpenAPI checks.
func init() {
	bodies = append(bodies,
		body{"sealed-booking-bookings", func() Body { return canonicalSealedBookings() }, wrap(DecodeSealedBookingBookings), MaxBodyBytes, func() any { return new(SealedBookingBookings) }})
	schemaTypes["SealedBookingBookings"] = reflect.TypeFor[SealedBookingBookings]()
	pathConstants["PathBookingBookingsSealed2"] = PathBookingBookingsSealed2
}

func canonicalSealedBookings() SealedBookingBookings {
	return SealedBookingBookings{Parts: []string{b64(bytes.Repeat([]byte{0x41}, 1200)), b64(bytes.Repeat([]byte{0x42}, 300))}}
}

// TestBookingBookingsParts: the parts join to the bookings again, a
// state of more than one part included; a part missing does not.
func TestBookingBookingsParts(t *testing.T) {
	bb := BookingBookings{Bookings: []PatientBooking{}, Canceled: []PatientBooking{}}
	for i := range 6000 {
		bb.Bookings = append(bb.Bookings, PatientBooking{Patient: "199001012380", Time: BookingTime{
			ID: "t-" + strings.Repeat("x", 20) + string(rune('a'+i%26)) + strconv.Itoa(i), Start: time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC),
			Minutes: 30, TypeID: "besok", Type: "Besök", Clinician: strings.Repeat("Kliniker ", 10)}})
	}
	parts, err := BookingBookingsParts(bb)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 2 {
		t.Fatalf("%d parts; the test needs more than one", len(parts))
	}
	got, err := OpenedBookingBookings(parts)
	if err != nil || !reflect.DeepEqual(got, bb) {
		t.Fatalf("joined to %d bookings (%v)", len(got.Bookings), err)
	}
	if _, err := OpenedBookingBookings(parts[:len(parts)-1]); err == nil {
		t.Error("the parts but the last opened")
	}
}

// FuzzOpenedBookingBookings: the decoder of opened parts never panics,
// and what it accepts validates.
func FuzzOpenedBookingBookings(f *testing.F) {
	pts, _ := BookingBookingsParts(BookingBookings{Bookings: []PatientBooking{}, Canceled: []PatientBooking{}})
	f.Add(pts[0], []byte(nil))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		bb, err := OpenedBookingBookings([][]byte{a, b})
		if err == nil && bb.Validate() != nil {
			t.Fatalf("accepted invalid bookings %q %q", a, b)
		}
	})
}

// FuzzDecodeSealedBookingBookings: the sealed bookings decoder, from its
// golden file and its mutations.
func FuzzDecodeSealedBookingBookings(f *testing.F) {
	fuzzDecoder(f, "sealed-booking-bookings", DecodeSealedBookingBookings)
}
