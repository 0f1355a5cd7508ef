package fhirapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/agent/cases"
	"clinicgw/agent/directory"
	"clinicgw/sync/clock/clocktest"
)

// TestDiaryStatusesMapped: each state of a time (and its booking) is a
// Slot.status and an Appointment.status of R4's value sets, as listed.
func TestDiaryStatusesMapped(t *testing.T) {
	r4Slot := []string{"busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error"}
	r4App := []string{"proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow", "entered-in-error", "checked-in", "waitlist"}
	start := time.Date(2026, 12, 8, 8, 0, 0, 0, time.UTC)
	before, during, after := start.Add(-time.Hour), start.Add(10*time.Minute), start.Add(time.Hour)
	hold := &booking.Hold{Token: "x", Until: before.Add(5 * time.Minute)}
	b := &booking.Booking{ID: "b1", Patient: "198005179802", At: before}
	for _, tc := range []struct {
		name       string
		sl         booking.Slot
		now        time.Time
		slot, appt string // appt "" for none
	}{
		{"free", booking.Slot{State: booking.Free}, before, "free", ""},
		{"held", booking.Slot{State: booking.Free, Hold: hold}, before, "busy-tentative", "pending"},
		{"hold expired", booking.Slot{State: booking.Free, Hold: hold}, before.Add(6 * time.Minute), "free", ""},
		{"free, begun", booking.Slot{State: booking.Free}, during, "busy-unavailable", ""},
		{"booked", booking.Slot{State: booking.Booked, Booking: b}, before, "busy", "booked"},
		{"booked, not marked after", booking.Slot{State: booking.Booked, Booking: b}, after, "busy", "booked"},
		{"arrived", booking.Slot{State: booking.Arrived, Booking: b}, during, "busy", "arrived"},
		{"arrived, ended", booking.Slot{State: booking.Arrived, Booking: b}, after, "busy", "fulfilled"},
		{"no-show", booking.Slot{State: booking.NoShow, Booking: b}, after, "busy", "noshow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sl := tc.sl
			sl.Start, sl.Minutes, sl.Clinician, sl.TypeID = start, 30, "SE2321000016-1001", "besok-30"
			s := &Server{idKey: []byte("k")}
			got := s.slotOf(&sl, nil, tc.now)
			if got.Status != tc.slot || !slices.Contains(r4Slot, got.Status) {
				t.Errorf("Slot.status %q, want %q", got.Status, tc.slot)
			}
			apps, _ := s.appointmentsOf(&sl, nil, tc.now)
			switch {
			case tc.appt == "" && len(apps) != 0:
				t.Errorf("Appointments %v, want none", apps)
			case tc.appt != "" && (len(apps) != 1 || apps[0].Status != tc.appt || !slices.Contains(r4App, apps[0].Status)):
				t.Errorf("Appointments %+v, want one %s", apps, tc.appt)
			}
		})
	}
}

// TestSlotIDs: a Slot id names no HSA-ID, holds no run of digits a
// patient check would take for a personnummer, and reads back; ids of
// another key or malformed ones do not.
func TestSlotIDs(t *testing.T) {
	s := &Server{idKey: []byte("key one")}
	sl := &booking.Slot{Start: time.Date(2026, 12, 8, 8, 0, 0, 0, time.UTC), Clinician: "SE2321000016-1001"}
	id := s.slotID(sl)
	if bytes.Contains([]byte(id), []byte("SE2321000016")) || patientInQuery("slot=Slot/"+id) {
		t.Fatalf("slot id %q names the HSA-ID or looks like a personnummer", id)
	}
	sched, start, rest, ok := parseSlotID(id)
	if !ok || sched != s.scheduleID(sl.Clinician) || !start.Equal(sl.Start) || rest != "" {
		t.Fatalf("%q read back as %q %v %q %v", id, sched, start, rest, ok)
	}
	if other := (&Server{idKey: []byte("key two")}).scheduleID(sl.Clinician); other == sched {
		t.Fatal("another key gives the same Schedule id")
	}
	for _, bad := range []string{"", "x", sched, sched + "-", sched + "-t", sched + "-t-1", sched + "-1764489600", sched + "-t0", "s1-tsj0qo0"} {
		if _, _, _, ok := parseSlotID(bad); ok {
			t.Errorf("%q read as a Slot id", bad)
		}
	}
}

// FuzzBookingRequest: the POST Appointment decoder never panics, and
// what it accepts names one Slot and a valid patient.
func FuzzBookingRequest(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Appointment","status":"booked","slot":[{"reference":"Slot/saaaaaaaaaaaaaaaa-tsj0qo0"}],` +
		`"participant":[{"actor":{"identifier":{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"198005179802"}}}],"identifier":[{"system":"x","value":"1"}]}`))
	f.Add([]byte(`{"resourceType":"Appointment","slot":[],"participant":[{"actor":null}]}`))
	f.Add([]byte(`{"resourceType":"Parameters","parameter":[{"name":"reason","valueString":"x"}]}`))
	f.Add([]byte(`[]`))
	s := &Server{cfg: Config{Clock: clocktest.New(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))}, idKey: []byte("k")}
	c := caller{sys: directory.System{HSAID: "SE2321000016-9004"}, actor: cases.IntegrationActor("SE2321000016-9004")}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "https://gw/Appointment", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/fhir+json")
		var in appointmentIn
		if err := readResource(r, maxBody, &in); err != nil {
			return
		}
		slot, pnr, _, err := s.bookingRequest(&in, c)
		if err != nil {
			return
		}
		if slot == "" || pnr == "" {
			t.Fatalf("accepted without a slot or a patient: %q %q", slot, pnr)
		}
		r = httptest.NewRequest("POST", "https://gw/Appointment/x/$cancel", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/fhir+json")
		_, _ = cancelReason(r)
	})
}

// TestBookingCapabilityMatchesRoutes: every interaction and operation
// the CapabilityStatement names for the diary's resources has a route,
// and there is no booking route it does not name.
func TestBookingCapabilityMatchesRoutes(t *testing.T) {
	s := &Server{cfg: Config{Diary: (*booking.Diary)(nil)}, mux: http.NewServeMux()}
	s.bookingRoutes()
	want := map[string]bool{}
	for _, res := range bookingCapability() {
		for _, in := range res.Interaction {
			switch in.Code {
			case "read":
				want["GET /"+res.Type+"/x"] = true
			case "search-type":
				want["GET /"+res.Type] = true
				want["POST /"+res.Type+"/_search"] = true
			case "create":
				want["POST /"+res.Type] = true
			default:
				t.Errorf("%s: interaction %s has no test here", res.Type, in.Code)
			}
		}
		for _, op := range res.Operation {
			want["POST /"+res.Type+"/x/$"+op.Name] = true
		}
	}
	for route := range want {
		method, path, _ := strings.Cut(route, " ")
		if _, pattern := s.mux.Handler(httptest.NewRequest(method, "https://gw"+path, nil)); pattern == "" {
			t.Errorf("%s: in the CapabilityStatement, not served", route)
		}
	}
	for _, route := range []string{"PUT /Appointment/x", "DELETE /Appointment/x", "POST /Slot", "POST /Schedule", "PATCH /Appointment/x",
		"POST /Appointment/x/$book", "GET /Appointment/x/$cancel"} {
		method, path, _ := strings.Cut(route, " ")
		if _, pattern := s.mux.Handler(httptest.NewRequest(method, "https://gw"+path, nil)); pattern != "" {
			t.Errorf("%s: served (%s) but not in the CapabilityStatement", route, pattern)
		}
	}
}
