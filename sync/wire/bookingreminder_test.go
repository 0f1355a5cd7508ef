package wire

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// A booking request with the patient's consent to a reminder: a golden
// file, the fuzz seeds, the OpenAPI check (through bodies).
func init() {
	bodies = append(bodies, body{"booking-request-reminder", func() Body { return reminderRequestPage() },
		wrap(DecodeBookingRequestPage), MaxBodyBytes, func() any { return new(BookingRequestPage) }})
}

func reminderRequestPage() BookingRequestPage {
	p := canonicalBookingRequestPage()
	p.Requests[0].Reminder = &BookingReminder{Mobile: "+46701234567", Email: "patient@example.se", Lang: "sv"}
	p.Requests[1].Reminder = &BookingReminder{Mobile: "", Email: "patient@example.se", Lang: "en"}
	return p
}

// TestBookingReminderValidate: the rules of a request's reminder, one
// broken at a time.
func TestBookingReminderValidate(t *testing.T) {
	with := func(r *BookingReminder, kind BookingKind) func() Body {
		return func() Body {
			p := reminderRequestPage()
			p.Requests[0].Reminder = r
			if kind == BookingCancel {
				p.Requests[2].Reminder = r
			}
			return p
		}
	}
	tests := []struct {
		name string
		v    func() Body
		ok   bool
	}{
		{"canonical", func() Body { return reminderRequestPage() }, true},
		{"none", with(nil, BookingBook), true},
		{"mobile only", with(&BookingReminder{Mobile: "0701234567", Lang: "sv"}, BookingBook), true},
		{"no address", with(&BookingReminder{Lang: "sv"}, BookingBook), false},
		{"mobile with letters", with(&BookingReminder{Mobile: "070-ring-mig", Lang: "sv"}, BookingBook), false},
		{"mobile too short", with(&BookingReminder{Mobile: "12345", Lang: "sv"}, BookingBook), false},
		{"mobile with spaces", with(&BookingReminder{Mobile: "070 123 45 67", Lang: "sv"}, BookingBook), false},
		{"email without @", with(&BookingReminder{Email: "patient.example.se", Lang: "sv"}, BookingBook), false},
		{"email twice @", with(&BookingReminder{Email: "a@b@example.se", Lang: "sv"}, BookingBook), false},
		{"email with a name", with(&BookingReminder{Email: "P <p@example.se>", Lang: "sv"}, BookingBook), false},
		{"email with a line break", with(&BookingReminder{Email: "p@example.se\nBcc: x@y.se", Lang: "sv"}, BookingBook), false},
		{"email too long", with(&BookingReminder{Email: strings.Repeat("a", 250) + "@e.se", Lang: "sv"}, BookingBook), false},
		{"unknown language", with(&BookingReminder{Email: "p@example.se", Lang: "de"}, BookingBook), false},
		{"on a cancel", with(&BookingReminder{Email: "p@example.se", Lang: "sv"}, BookingCancel), false},
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

// TestBookingReminderOptional: a request without a reminder is written
// without the member and read back the same; null reads as none.
func TestBookingReminderOptional(t *testing.T) {
	at := time.Date(2026, 12, 7, 6, 40, 0, 0, time.UTC)
	p := BookingRequestPage{Requests: []BookingRequest{{ID: "br-1", Kind: BookingBook, Patient: "198004019816", Time: "t-1", At: at}}}
	b, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "reminder") {
		t.Errorf("written with the member: %s", b)
	}
	nul := strings.Replace(string(b), `"at":`, `"reminder":null,"at":`, 1)
	got, err := DecodeBookingRequestPage(strings.NewReader(nul))
	if err != nil || got.Requests[0].Reminder != nil {
		t.Errorf("null: %+v, %v", got.Requests, err)
	}
}

func FuzzDecodeBookingRequestReminder(f *testing.F) {
	fuzzDecoder(f, "booking-request-reminder", DecodeBookingRequestPage)
}

func init() {
	optionalObjects["reminder"] = true
	schemaTypes["BookingReminder"] = reflect.TypeFor[BookingReminder]()
}
