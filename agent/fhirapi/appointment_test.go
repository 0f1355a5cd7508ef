package fhirapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/booking"
)

// hsaInURL finds an HSA-ID in a URL or an id.
var hsaInURL = regexp.MustCompile(`SE\d{10}-`)

// post sends a FHIR resource with curl as system.
func (f *fixture) post(system, path string, body any) reply {
	f.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		f.t.Fatal(err)
	}
	file := filepath.Join(f.dir, "body.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		f.t.Fatal(err)
	}
	return f.curl(system, path, "-X", "POST", "-H", "Content-Type: application/fhir+json", "--data-binary", "@"+file)
}

// bookBody is a POST Appointment for slot and patient.
func bookBody(slot, pnr string) map[string]any {
	return map[string]any{"resourceType": "Appointment", "status": "booked",
		"slot": []any{map[string]any{"reference": "Slot/" + slot}},
		"participant": []any{map[string]any{"status": "accepted",
			"actor": map[string]any{"type": "Patient", "identifier": map[string]any{"system": "urn:oid:1.2.752.129.2.1.3.1", "value": pnr}}}}}
}

var cancelBody = map[string]any{"resourceType": "Parameters", "parameter": []any{map[string]any{"name": "reason", "valueString": "Läkaren är sjuk"}}}

// noHSAIDs fails if an id or a link of a resource or Bundle names an
// HSA-ID.
func noHSAIDs(t *testing.T, r reply) {
	t.Helper()
	var v struct {
		ID   string `json:"id"`
		Link []struct {
			URL string `json:"url"`
		} `json:"link"`
		Entry []struct {
			FullURL  string `json:"fullUrl"`
			Resource struct {
				ID string `json:"id"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatal(err)
	}
	all := []string{v.ID}
	for _, l := range v.Link {
		all = append(all, l.URL)
	}
	for _, e := range v.Entry {
		all = append(all, e.FullURL, e.Resource.ID)
	}
	for _, s := range all {
		if hsaInURL.MatchString(s) {
			t.Errorf("an HSA-ID in an id or a URL: %s", s)
		}
	}
}

// TestBookingOverMTLS: the record system reads the diary as Schedule,
// Slot and Appointment, books a free Slot for a patient and cancels it,
// with curl over mutual TLS; each answer validates, no id or link names
// the clinician's HSA-ID, the personnummer goes only in POST _search,
// and the access log has the system's reads, booking and cancellation.
func TestBookingOverMTLS(t *testing.T) {
	f := newFixture(t, 0, 6000, withDiary)
	pnr := string(f.adult)
	r := f.curl("booker", "/metadata")
	for _, typ := range []string{`"Schedule"`, `"Slot"`, `"Appointment"`, `"create"`, `"cancel"`} {
		if !strings.Contains(string(r.body), typ) {
			t.Errorf("the CapabilityStatement does not name %s", typ)
		}
	}
	validate(t, "metadata", r.body)
	r = f.curl("booker", "/Schedule")
	b := r.decode(t)
	scheds := entries(t, b)
	if r.status != 200 || len(scheds) != 1 {
		t.Fatalf("Schedule: %d %s", r.status, r.body)
	}
	validate(t, "schedules", r.body)
	noHSAIDs(t, r)
	sched := scheds[0]["id"].(string)
	if got := scheds[0]["actor"].([]any)[0].(map[string]any)["identifier"].(map[string]any)["value"]; got != clinician {
		t.Fatalf("the Schedule's actor is %v, want the clinician", got)
	}
	r = f.curl("booker", "/Schedule/"+sched)
	if r.status != 200 {
		t.Fatalf("Schedule/%s: %d %s", sched, r.status, r.body)
	}
	validate(t, "schedule", r.body)
	r = f.curl("booker", "/Slot?"+url.Values{"schedule": {"Schedule/" + sched}, "start": {"ge2026-11-30", "lt2026-12-01"}, "status": {"free"}}.Encode())
	slots := entries(t, r.decode(t))
	if r.status != 200 || len(slots) != 4 {
		t.Fatalf("free Slots on 30 November: %d, want 4: %s", len(slots), r.body)
	}
	validate(t, "slots", r.body)
	noHSAIDs(t, r)
	slot := slots[0]["id"].(string)
	if slots[0]["start"] != "2026-11-30T08:00:00Z" {
		t.Fatalf("the first Slot starts %v, want 09:00 Swedish time", slots[0]["start"])
	}

	// Book it.
	r = f.post("booker", "/Appointment", bookBody(slot, pnr))
	if r.status != 201 || !strings.Contains(strings.ToLower(r.header), "location: https://") {
		t.Fatalf("book: %d %s\n%s", r.status, r.header, r.body)
	}
	validate(t, "booked", r.body)
	noHSAIDs(t, r)
	app := r.decode(t)
	id := app["id"].(string)
	if app["status"] != "booked" || !strings.Contains(string(r.body), pnr) {
		t.Fatalf("booked: %s", r.body)
	}
	r = f.curl("booker", "/Slot/"+slot)
	if r.status != 200 || r.decode(t)["status"] != "busy" {
		t.Fatalf("the booked Slot: %d %s", r.status, r.body)
	}
	validate(t, "busy", r.body)
	r = f.curl("booker", "/Appointment/"+id)
	if r.status != 200 || r.decode(t)["status"] != "booked" {
		t.Fatalf("Appointment/%s: %d %s", id, r.status, r.body)
	}
	validate(t, "appointment", r.body)
	q := url.Values{"date": {"ge2026-11-30", "le2026-11-30"}, "actor:identifier": {"urn:oid:1.2.752.29.4.19|" + clinician}, "status": {"booked"}}
	r = f.curl("booker", "/Appointment?"+q.Encode())
	if got := entries(t, r.decode(t)); r.status != 200 || len(got) != 1 || got[0]["id"] != id {
		t.Fatalf("search by date, clinician and status: %d %s", r.status, r.body)
	}
	validate(t, "search", r.body)
	// By patient: POST only, and the answer's links do not carry it.
	if r = f.curl("booker", "/Appointment?"+url.Values{"patient:identifier": {pnr}}.Encode()); r.status != 400 {
		t.Fatalf("a personnummer in the URL: %d, want 400", r.status)
	}
	r = f.curl("booker", "/Appointment/_search", "-X", "POST", "--data-urlencode", "patient:identifier=urn:oid:1.2.752.129.2.1.3.1|"+pnr,
		"--data-urlencode", "date=ge2026-11-23")
	if got := entries(t, r.decode(t)); r.status != 200 || len(got) != 1 || strings.Contains(link(r.decode(t), "self"), pnr) {
		t.Fatalf("search by patient: %d %s", r.status, r.body)
	}
	validate(t, "by patient", r.body)

	// The same booking again: the time is taken (409, the decline's code).
	r = f.post("booker", "/Appointment", bookBody(slot, pnr))
	if r.status != 409 || !strings.Contains(string(r.body), `"code":"taken"`) {
		t.Fatalf("book a taken time: %d %s", r.status, r.body)
	}
	validate(t, "taken", r.body)

	// Cancel it.
	r = f.post("booker", "/Appointment/"+id+"/$cancel", cancelBody)
	if r.status != 200 || r.decode(t)["status"] != "cancelled" {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	validate(t, "cancelled", r.body)
	if r = f.post("booker", "/Appointment/"+id+"/$cancel", cancelBody); r.status != 409 {
		t.Fatalf("cancel again: %d %s", r.status, r.body)
	}
	if r = f.curl("booker", "/Slot/"+slot); r.decode(t)["status"] != "free" {
		t.Fatalf("the Slot after the cancellation: %s", r.body)
	}
	r = f.curl("booker", "/Appointment?"+url.Values{"slot": {"Slot/" + slot}, "date": {"2026-11-30"}}.Encode())
	if got := entries(t, r.decode(t)); len(got) != 1 || got[0]["status"] != "cancelled" {
		t.Fatalf("the cancelled Appointment by slot: %s", r.body)
	}
	validate(t, "cancelled search", r.body)

	// A hold: the Slot busy-tentative, the Appointment pending.
	hs := f.freeSlots()[0]
	if _, err := f.diary.Hold(context.Background(), hs.ID, booking.Actor{Patient: pnr}); err != nil {
		t.Fatal(err)
	}
	r = f.curl("booker", "/Slot?"+url.Values{"status": {"busy-tentative"}}.Encode())
	if got := entries(t, r.decode(t)); len(got) != 1 {
		t.Fatalf("held Slots: %s", r.body)
	}
	validate(t, "held", r.body)
	r = f.curl("booker", "/Appointment?"+url.Values{"status": {"pending"}}.Encode())
	if got := entries(t, r.decode(t)); len(got) != 1 || strings.Contains(string(r.body), pnr) {
		t.Fatalf("pending Appointments (a hold names no patient): %s", r.body)
	}
	validate(t, "pending", r.body)

	// Marked by staff: arrived, fulfilled once the time has ended; noshow.
	ctx := context.Background()
	staff := booking.Actor{Staff: clinician}
	later := f.freeSlots()
	for _, ft := range later[1:3] {
		if _, err := f.diary.Book(ctx, ft.ID, staff, booking.BookRequest{Patient: pnr}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Set(later[2].Start.Add(time.Minute))
	if err := f.diary.MarkArrived(ctx, later[1].ID, staff); err != nil {
		t.Fatal(err)
	}
	if err := f.diary.MarkNoShow(ctx, later[2].ID, staff); err != nil {
		t.Fatal(err)
	}
	day := later[1].Start.Format(time.DateOnly)
	for _, want := range []string{"fulfilled", "noshow"} {
		r = f.curl("booker", "/Appointment?"+url.Values{"status": {want}, "date": {"ge" + day}}.Encode())
		if got := entries(t, r.decode(t)); r.status != 200 || len(got) != 1 {
			t.Fatalf("%s: %d %s", want, r.status, r.body)
		}
		validate(t, want, r.body)
	}

	// The access log: the system's booking, cancellation and reads.
	count := map[string]int{}
	for _, e := range f.actorLog(booker) {
		count[e.Action+"/"+string(e.Outcome)]++
		if e.Unit != unit || e.Action != "diary-list" && e.Patient != pnr || e.Action == "diary-list" && e.Patient != "" {
			t.Errorf("access-log entry %+v: want the unit, and the patient of a booking", e)
		}
	}
	// Every request is in the access log: a read that shows no patient
	// (Schedule, Slot, a search with no booking) as diary-list.
	if count["diary-list/"+string(audit.Allowed)] < 7 {
		t.Errorf("access log: the reads of the diary without a patient are missing: %v", count)
	}
	for k, want := range map[string]int{"diary-book/" + string(audit.Allowed): 1, "diary-book/" + string(audit.Denied): 1,
		"diary-cancel/" + string(audit.Allowed): 1, "diary-cancel/" + string(audit.Denied): 1} {
		if count[k] != want {
			t.Errorf("access log: %d × %s, want %d (all: %v)", count[k], k, want, count)
		}
	}
	if count["diary-read/"+string(audit.Allowed)] < 4 {
		t.Errorf("access log: the reads of the booking are missing: %v", count)
	}
}

// TestBookingRefused: each refusal is a 4xx OperationOutcome and the
// diary is unchanged: a system without bookings (reader, writer of
// messages, read-cases only), a malformed, unknown-element, oversized or
// wrong-type body, a time that has begun, no such time, a cancellation
// without a reason, a personnummer in the URL.
func TestBookingRefused(t *testing.T) {
	f := newFixture(t, 0, 6000, withDiary)
	pnr := string(f.adult)
	free := f.freeSlots()
	r := f.curl("booker", "/Slot?"+url.Values{"status": {"free"}, "_count": {"1"}}.Encode())
	slot := entries(t, r.decode(t))[0]["id"].(string)
	if next := link(r.decode(t), "next"); !strings.Contains(next, "_offset=1") {
		t.Fatalf("the next link: %q", next)
	}
	big := bookBody(slot, pnr)
	big["description"] = strings.Repeat("x", 70<<10)
	unknown := bookBody(slot, pnr)
	unknown["reasonCode"] = "x"
	noPatient := bookBody(slot, pnr)
	noPatient["participant"] = []any{}
	wrongType := bookBody(slot, pnr)
	wrongType["slot"] = "Slot/" + slot
	_, _ = f.diary.Slots(context.Background(), time.Time{}, time.Time{})
	for _, tc := range []struct {
		name, system, path string
		body               any
		want               int
	}{
		{"read-bookings may not book", "diaryreader", "/Appointment", bookBody(slot, pnr), 403},
		{"read-cases may not book", "record", "/Appointment", bookBody(slot, pnr), 403},
		{"write-messages may not book", "writer", "/Appointment", bookBody(slot, pnr), 403},
		{"oversized", "booker", "/Appointment", big, 413},
		{"unknown element", "booker", "/Appointment", unknown, 400},
		{"no patient", "booker", "/Appointment", noPatient, 400},
		{"wrong type", "booker", "/Appointment", wrongType, 400},
		{"not an Appointment", "booker", "/Appointment", cancelBody, 400},
		{"no such time", "booker", "/Appointment", bookBody("saaaaaaaaaaaaaaaa-tsj0qo0", pnr), 404},
		{"a malformed time id", "booker", "/Appointment", bookBody("../Task", pnr), 404},
		{"a bad personnummer", "booker", "/Appointment", bookBody(slot, "198005179800"), 400},
		{"cancel without a reason", "booker", "/Appointment/" + slot + "-0123/$cancel", map[string]any{"resourceType": "Parameters"}, 400},
		{"cancel no such booking", "booker", "/Appointment/" + slot + "-0123/$cancel", cancelBody, 404},
		{"read-bookings may not cancel", "diaryreader", "/Appointment/" + slot + "-0123/$cancel", cancelBody, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.post(tc.system, tc.path, tc.body)
			if r.status != tc.want || r.decode(t)["resourceType"] != "OperationOutcome" {
				t.Fatalf("%d, want %d with an OperationOutcome: %.300s", r.status, tc.want, r.body)
			}
			validate(t, "refused", r.body)
		})
	}
	for _, tc := range []struct{ name, system, path string }{
		{"read-cases may not read the diary", "record", "/Slot"},
		{"write-messages may not read the diary", "writer", "/Appointment"},
		{"a personnummer in the URL", "booker", "/Appointment?patient:identifier=" + pnr},
		{"an unknown parameter", "booker", "/Slot?foo=1"},
		{"a range too wide", "booker", "/Slot?start=ge2026-01-01&start=lt2027-06-01"},
		{"no such Schedule", "booker", "/Schedule/saaaaaaaaaaaaaaaa"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.curl(tc.system, tc.path)
			if r.status < 400 || r.status > 499 || r.decode(t)["resourceType"] != "OperationOutcome" {
				t.Fatalf("%d, want a 4xx OperationOutcome: %.300s", r.status, r.body)
			}
		})
	}
	if r := f.curl("diaryreader", "/Slot?status=free"); r.status != 200 {
		t.Fatalf("read-bookings may read the diary: %d %s", r.status, r.body)
	}
	// A time that has begun.
	f.clock.Set(free[0].Start.Add(time.Minute))
	r = f.post("booker", "/Appointment", bookBody(slot, pnr))
	if r.status != 409 || !strings.Contains(string(r.body), `"code":"inPast"`) {
		t.Fatalf("a time that has begun: %d %s", r.status, r.body)
	}
	if now := f.freeSlots(); len(now) != len(free)-1 {
		t.Fatalf("free times: %d, want %d (the one begun): a refusal changed the diary", len(now), len(free)-1)
	}
}
