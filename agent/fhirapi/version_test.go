package fhirapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"clinicgw/agent/cases"
)

// etagOf is the ETag in curl's headers.
func etagOf(r reply) string {
	for l := range strings.SplitSeq(r.header, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "ETag") {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// versionID is a resource's meta.versionId.
func versionID(t *testing.T, r reply) string {
	t.Helper()
	meta, _ := r.decode(t)["meta"].(map[string]any)
	v, _ := meta["versionId"].(string)
	return v
}

// race sends, as each of systems at once over mutual TLS, one request
// with If-Match tag and the body body(system), and returns each one's
// status and ETag.
func (f *fixture) race(systems []string, method, path, ctype, tag string, body func(system string) string) ([]int, []string) {
	status, tags := make([]int, len(systems)), make([]string, len(systems))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, who := range systems {
		c := f.client(who)
		req, err := http.NewRequest(method, f.url+path, strings.NewReader(body(who)))
		if err != nil {
			f.t.Fatal(err)
		}
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("If-Match", tag)
		wg.Go(func() {
			<-start
			res, err := c.Do(req)
			if err != nil {
				f.t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			status[i], tags[i] = res.StatusCode, res.Header.Get("ETag")
		})
	}
	close(start)
	wg.Wait()
	return status, tags
}

// TestTaskVersions: a Task read has an ETag W/"n" with n its
// meta.versionId; PATCH with If-Match of a stale version is a 412
// OperationOutcome that changes nothing, with the current one a 200 whose
// ETag is the new version; without If-Match it is taken (FHIR lets a
// server allow that); a malformed If-Match is a 400.
func TestTaskVersions(t *testing.T) {
	f := newFixture(t, 4, 6000)
	f.writeDirectory(false)
	id := string(f.cases[3].ID) // answered
	r := f.curl("record", "/Task/"+id)
	tag, v := etagOf(r), versionID(t, r)
	if v == "" || tag != `W/"`+v+`"` {
		t.Fatalf("Task read: ETag %q, meta.versionId %q", tag, v)
	}
	ref := func(n string) string {
		return `[{"op": "add", "path": "/identifier/-", "value": {"system": "urn:x", "value": "` + n + `"}}]`
	}
	stale := f.curl("record", "/Task/"+id, "-X", "PATCH", "-H", "Content-Type: application/json-patch+json", "-H", `If-Match: W/"1"`, "--data", ref("stale"))
	if stale.status != 412 || stale.decode(t)["resourceType"] != "OperationOutcome" {
		t.Fatalf("a stale If-Match: %d %s", stale.status, stale.body)
	}
	validate(t, "task-stale", stale.body)
	bad := f.curl("record", "/Task/"+id, "-X", "PATCH", "-H", "Content-Type: application/json-patch+json", "-H", `If-Match: yesterday`, "--data", ref("bad"))
	if bad.status != 400 {
		t.Errorf("a malformed If-Match: %d %s", bad.status, bad.body)
	}
	ok := f.curl("record", "/Task/"+id, "-X", "PATCH", "-H", "Content-Type: application/json-patch+json", "-H", "If-Match: "+tag, "--data", ref("fresh"))
	if ok.status != 200 || etagOf(ok) == tag || etagOf(ok) != `W/"`+versionID(t, ok)+`"` {
		t.Fatalf("the current If-Match: %d ETag %q %s", ok.status, etagOf(ok), ok.body)
	}
	if r := f.patch("record", "/Task/"+id, ref("no-if-match")); r.status != 200 {
		t.Errorf("without If-Match: %d %s", r.status, r.body)
	}
	got, _ := f.svc.Get(context.Background(), cases.IntegrationActor(record), cases.ID(id))
	for _, x := range got.Refs {
		if x.Value == "stale" || x.Value == "bad" {
			t.Errorf("a refused patch attached %q", x.Value)
		}
	}
	// Marked handled with a stale version, though already closed: 412 too.
	closeIt := `[{"op": "replace", "path": "/status", "value": "completed"}]`
	if r := f.curl("record", "/Task/"+id, "-X", "PATCH", "-H", "Content-Type: application/json-patch+json", "-H", "If-Match: "+tag, "--data", closeIt); r.status != 412 {
		t.Errorf("close with a stale If-Match: %d %s", r.status, r.body)
	}
}

// TestTaskPatchRace: two systems PATCH one Task with If-Match of the
// version both read, at once, over mutual TLS: exactly one gets 2xx, the
// other 412, and only the winner's reference is on the case.
func TestTaskPatchRace(t *testing.T) {
	f := newFixture(t, 4, 6000)
	f.writeDirectory(false)
	for round := range 5 {
		id := string(f.cases[round%4].ID)
		tag := etagOf(f.curl("record", "/Task/"+id))
		status, _ := f.race([]string{"record", "writer"}, "PATCH", "/Task/"+id, "application/json-patch+json", tag, func(who string) string {
			return `[{"op": "add", "path": "/identifier/-", "value": {"system": "urn:x", "value": "` + who + strconv.Itoa(round) + `"}}]`
		})
		won := 0
		for _, s := range status {
			if s == 200 || s == 204 {
				won++
			} else if s != 412 {
				t.Errorf("round %d: status %d", round, s)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: statuses %v, want exactly one 2xx and one 412", round, status)
		}
		got, _ := f.svc.Get(context.Background(), cases.IntegrationActor(record), cases.ID(id))
		n := 0
		for _, x := range got.Refs {
			if x.System == "urn:x" {
				n++
			}
		}
		if n != round/4+1 {
			t.Errorf("round %d: %d references on the case, want %d", round, n, round/4+1)
		}
	}
}

// TestAppointmentVersions: a booking is Appointment version 1 (ETag
// W/"1", meta.versionId 1), read or answered at its booking; $cancel with
// a stale If-Match is a 412 that cancels nothing; two systems cancelling
// it at once with If-Match W/"1": exactly one 200 (the cancelled
// Appointment, version 2), the other 412.
func TestAppointmentVersions(t *testing.T) {
	f := newFixture(t, 0, 6000, withDiary)
	var md struct {
		Rest []struct {
			Resource []struct {
				Type              string `json:"type"`
				Versioning        string `json:"versioning"`
				ConditionalUpdate *bool  `json:"conditionalUpdate"`
			} `json:"resource"`
		} `json:"rest"`
	}
	if err := json.Unmarshal(f.curl("booker", "/metadata").body, &md); err != nil {
		t.Fatal(err)
	}
	for _, r := range md.Rest[0].Resource {
		versioned := r.Type == "Task" || r.Type == "Appointment"
		if versioned != (r.Versioning == "versioned-update" && r.ConditionalUpdate != nil && !*r.ConditionalUpdate) {
			t.Errorf("the CapabilityStatement's %s: versioning %q, conditionalUpdate %v", r.Type, r.Versioning, r.ConditionalUpdate)
		}
	}
	pnr := string(f.adult)
	slots := entries(t, f.curl("booker", "/Slot?status=free&_count=1").decode(t))
	booked := f.post("booker", "/Appointment", bookBody(slots[0]["id"].(string), pnr))
	if booked.status != 201 || etagOf(booked) != `W/"1"` || versionID(t, booked) != "1" {
		t.Fatalf("booked: %d ETag %q versionId %q", booked.status, etagOf(booked), versionID(t, booked))
	}
	id := booked.decode(t)["id"].(string)
	read := f.curl("booker", "/Appointment/"+id)
	if etagOf(read) != `W/"1"` || versionID(t, read) != "1" {
		t.Fatalf("read: ETag %q versionId %q", etagOf(read), versionID(t, read))
	}
	cancel := func(c string, tag string) reply {
		return f.curl(c, "/Appointment/"+id+"/$cancel", "-X", "POST", "-H", "Content-Type: application/fhir+json", "-H", "If-Match: "+tag,
			"--data", `{"resourceType": "Parameters", "parameter": [{"name": "reason", "valueString": "Läkaren är sjuk"}]}`)
	}
	if r := cancel("booker", `W/"2"`); r.status != 412 || r.decode(t)["resourceType"] != "OperationOutcome" {
		t.Fatalf("a stale If-Match: %d %s", r.status, r.body)
	}
	if r := f.curl("booker", "/Appointment/"+id); r.decode(t)["status"] != "booked" {
		t.Fatalf("a refused cancellation cancelled: %s", r.body)
	}
	status, tags := f.race([]string{"booker", "booker"}, "POST", "/Appointment/"+id+"/$cancel", "application/fhir+json", `W/"1"`, func(string) string {
		return `{"resourceType": "Parameters", "parameter": [{"name": "reason", "valueString": "Dubbelbokad"}]}`
	})
	for i, st := range status {
		if st == 200 && tags[i] != `W/"2"` {
			t.Errorf("the cancelled Appointment's ETag %q, want W/\"2\"", tags[i])
		}
	}
	if !(status[0] == 200 && status[1] == 412 || status[0] == 412 && status[1] == 200) {
		t.Fatalf("two cancellations at once: %v, want one 200 and one 412", status)
	}
	if r := f.curl("booker", "/Appointment/"+id); r.decode(t)["status"] != "cancelled" || etagOf(r) != `W/"2"` {
		t.Fatalf("after: %s ETag %q", r.body, etagOf(r))
	}
}
