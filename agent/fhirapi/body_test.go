package fhirapi_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"clinicgw/agent/cases"
)

// TestWriteBodies: every request with a body (POST Appointment, $cancel,
// POST Communication, PATCH Task, each POST _search) is read by the one
// reader, over real mutual TLS: 415 for another media type, 413 past the
// operation's size, 400 naming an element the operation does not read
// (top-level or nested), while the top-level elements FHIR lets a server
// ignore (id, meta, text, language) are taken and dropped. Each refusal
// is an OperationOutcome and changes nothing.
func TestWriteBodies(t *testing.T) {
	d := newFixture(t, 0, 6000, withDiary) // the diary's routes
	c := newFixture(t, 1, 6000)            // the cases' routes
	c.writeDirectory(false)
	pnr := string(d.adult)
	free := d.freeSlots()
	r := d.curl("booker", "/Slot?"+url.Values{"status": {"free"}, "_count": {"1"}}.Encode())
	slot := entries(t, r.decode(t))[0]["id"].(string)
	slotStart := entries(t, r.decode(t))[0]["start"].(string)
	jsonOf := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	with := func(body string, k string, v any) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatal(err)
		}
		m[k] = v
		return jsonOf(m)
	}
	book := jsonOf(bookBody(slot, pnr))
	nestedBook := strings.Replace(book, `"status":"accepted"`, `"status":"accepted","period":{"start":"2026-12-01"}`, 1)
	cancel := jsonOf(cancelBody)
	caseID := string(c.cases[0].ID)
	msg := onCase(c.cases[0].ID, "b-1", "Hej.")
	patch := `[{"op": "add", "path": "/identifier/-", "value": {"system": "urn:x", "value": "1"}}]`
	const form, fhir, jpatch = "application/x-www-form-urlencoded", "application/fhir+json", "application/json-patch+json"
	big := func(n int) string { return strings.Repeat("x", n<<10) }
	for _, tc := range []struct {
		name         string
		f            *fixture
		cert, method string
		path, ctype  string
		body         string
		status       int
		code, names  string // the code; a word its diagnostics must hold
	}{
		{"book as XML", d, "booker", "POST", "/Appointment", "application/fhir+xml", "<Appointment/>", 415, "not-supported", "application/fhir+json"},
		{"book as text", d, "booker", "POST", "/Appointment", "text/plain", book, 415, "not-supported", "application/fhir+json"},
		{"book oversized", d, "booker", "POST", "/Appointment", fhir, with(book, "id", big(70)), 413, "too-costly", "KiB"},
		{"book, an element not read", d, "booker", "POST", "/Appointment", fhir, with(book, "comment", "Ta med remissen"), 400, "structure", "comment"},
		{"book, an R4 element not read", d, "booker", "POST", "/Appointment", fhir, with(book, "priority", 1), 400, "structure", "priority"},
		{"book, a nested element not read", d, "booker", "POST", "/Appointment", fhir, nestedBook, 400, "structure", "period"},
		{"book, a modifier extension", d, "booker", "POST", "/Appointment", fhir, with(book, "modifierExtension", []any{map[string]any{"url": "urn:x", "valueBoolean": true}}), 400, "structure", "modifierExtension"},
		{"book, another start than the Slot's", d, "booker", "POST", "/Appointment", fhir, with(book, "start", "2030-01-01T08:00:00Z"), 400, "invalid", "start"},
		{"cancel as JSON Patch", d, "booker", "POST", "/Appointment/" + slot + "-0123/$cancel", jpatch, cancel, 415, "not-supported", "application/fhir+json"},
		{"cancel oversized", d, "booker", "POST", "/Appointment/" + slot + "-0123/$cancel", fhir, with(cancel, "id", big(70)), 413, "too-costly", "KiB"},
		{"cancel, an element not read", d, "booker", "POST", "/Appointment/" + slot + "-0123/$cancel", fhir, with(cancel, "implicitRules", "urn:x"), 400, "structure", "implicitRules"},
		{"cancel, a nested element not read", d, "booker", "POST", "/Appointment/" + slot + "-0123/$cancel", fhir,
			strings.Replace(cancel, `"name"`, `"part":[],"name"`, 1), 400, "structure", "part"},
		{"slot search as JSON", d, "booker", "POST", "/Slot/_search", "application/json", `{"status":"free"}`, 415, "not-supported", form},
		{"slot search oversized", d, "booker", "POST", "/Slot/_search", form, "status=free&_count=" + big(70), 413, "too-costly", "KiB"},
		{"appointment search as JSON", d, "booker", "POST", "/Appointment/_search", "application/json", `{}`, 415, "not-supported", form},
		{"appointment search oversized", d, "booker", "POST", "/Appointment/_search", form, "date=" + big(70), 413, "too-costly", "KiB"},
		{"message as XML", c, "writer", "POST", "/Communication", "application/fhir+xml", "<Communication/>", 415, "not-supported", "application/fhir+json"},
		{"message oversized", c, "writer", "POST", "/Communication", fhir, with(msg, "id", big(130)), 413, "too-costly", "KiB"},
		{"message, an element not read", c, "writer", "POST", "/Communication", fhir, with(msg, "priority", "urgent"), 400, "structure", "priority"},
		{"message, a sender", c, "writer", "POST", "/Communication", fhir, with(msg, "sender", map[string]any{"display": "x"}), 400, "structure", "sender"},
		{"message, a nested element not read", c, "writer", "POST", "/Communication", fhir,
			strings.Replace(msg, `"contentString"`, `"contentAttachment": {}, "contentString"`, 1), 400, "structure", "contentAttachment"},
		{"patch as FHIR JSON", c, "writer", "PATCH", "/Task/" + caseID, fhir, patch, 415, "not-supported", jpatch},
		{"patch oversized", c, "writer", "PATCH", "/Task/" + caseID, jpatch, strings.Replace(patch, `"1"`, `"`+big(20)+`"`, 1), 413, "too-costly", "KiB"},
		{"patch, an element not read", c, "writer", "PATCH", "/Task/" + caseID, jpatch, strings.Replace(patch, `"op"`, `"from": "/x", "op"`, 1), 400, "structure", "from"},
		{"task search as JSON", c, "record", "POST", "/Task/_search", "application/json", `{}`, 415, "not-supported", form},
		{"task search oversized", c, "record", "POST", "/Task/_search", form, "status=" + big(70), 413, "too-costly", "KiB"},
		{"message search as JSON", c, "record", "POST", "/Communication/_search", "application/json", `{}`, 415, "not-supported", form},
		{"message search oversized", c, "record", "POST", "/Communication/_search", form, "part-of=" + big(70), 413, "too-costly", "KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.f.send(tc.cert, tc.path, tc.method, tc.ctype, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", r.status, tc.status, r.body)
			}
			m := r.decode(t)
			is := m["issue"].([]any)[0].(map[string]any)
			if m["resourceType"] != "OperationOutcome" || is["code"] != tc.code || !strings.Contains(is["diagnostics"].(string), tc.names) {
				t.Errorf("issue %v, want code %s and diagnostics naming %q", is, tc.code, tc.names)
			}
			validate(t, "body-refused", r.body)
		})
	}
	if now := d.freeSlots(); len(now) != len(free) {
		t.Errorf("free times: %d, want %d: a refused booking changed the diary", len(now), len(free))
	}
	if got, _ := c.svc.Get(t.Context(), cases.IntegrationActor(record), c.cases[0].ID); len(got.Messages) != 1 || len(got.Refs) != 0 {
		t.Errorf("a refused write changed the case: %d messages, %d refs", len(got.Messages), len(got.Refs))
	}

	// What FHIR lets a server ignore is taken and dropped.
	ignorable := map[string]any{"id": "client-1", "meta": map[string]any{"versionId": "7", "lastUpdated": "2026-01-01T00:00:00Z"},
		"text": map[string]any{"status": "generated", "div": `<div xmlns="http://www.w3.org/1999/xhtml">x</div>`}, "language": "sv"}
	b, m := book, msg
	for k, v := range ignorable {
		b, m = with(b, k, v), with(m, k, v)
	}
	if r := d.send("booker", "/Appointment", "POST", fhir, strings.Replace(b, `"status":"booked"`, `"status":"booked","start":"`+slotStart+`"`, 1)); r.status != 201 {
		t.Errorf("a booking with id, meta, text, language and the Slot's start: %d %.300s", r.status, r.body)
	}
	if r := c.send("writer", "/Communication", "POST", fhir, m); r.status != 201 {
		t.Errorf("a message with id, meta, text, language: %d %.300s", r.status, r.body)
	}
}
