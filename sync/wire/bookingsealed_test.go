package wire

import (
	"bytes"
	"encoding/base64"
	"reflect"
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
