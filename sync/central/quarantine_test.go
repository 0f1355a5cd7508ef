package central

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"clinicgw/sync/wire"
)

// TestQuarantineReportAPI: over mutual TLS, a unit's quarantine report
// replaces its previous one, is kept across a restart, is answered at GET
// to that unit only, and a body that breaks the schema is refused with
// nothing stored.
func TestQuarantineReportAPI(t *testing.T) {
	e := newEnv(t)
	get := func(unit string) wire.QuarantineReport {
		t.Helper()
		status, _, body := e.do(e.api, unit, http.MethodGet, wire.PathQuarantine2, "", nil)
		if status != http.StatusOK {
			t.Fatalf("GET quarantine: %d %s", status, body)
		}
		r, err := wire.DecodeQuarantineReport(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// The ids are of events the store issued to unit A (it keeps no
	// others: TestQuarantineReportUnissued).
	e.submit(unitA, "Fråga ett")
	e.submit(unitA, "Fråga två")
	issued := e.inbox(unitA, 0, 10).Events
	ids := strings.NewReplacer("ev-1", issued[0].ID, "ev-2", issued[1].ID)
	put := func(unit, body string) int {
		t.Helper()
		status, _, _ := e.do(e.api, unit, http.MethodPut, wire.PathQuarantine2, wire.ContentTypeJSON, []byte(ids.Replace(body)))
		return status
	}
	if r := get(unitA); r.Total != 0 || len(r.Events) != 0 {
		t.Errorf("before any report: %+v", r)
	}
	if s := put(unitA, `{"events":[{"id":"ev-1","reason":"conflict"},{"id":"ev-2","reason":"invalid"}],"total":2}`); s != http.StatusNoContent {
		t.Fatalf("PUT: %d", s)
	}
	for _, bad := range []string{
		`{"events":[{"id":"ev-1","reason":"lost"}],"total":1}`,
		`{"events":[{"id":"ev-1","reason":"conflict"},{"id":"ev-1","reason":"conflict"}],"total":2}`,
		`{"events":[{"id":"ev-1","reason":"conflict"}],"total":5}`,
		`{"events":[{"id":"ev-1","reason":"conflict","pnr":"x"}],"total":1}`,
		`{"total":0}`,
	} {
		if s := put(unitA, bad); s != http.StatusBadRequest {
			t.Errorf("PUT %s: %d, want 400", bad, s)
		}
	}
	e.reopen()
	want := []wire.QuarantinedEvent{{ID: issued[0].ID, Reason: wire.QuarantineConflict}, {ID: issued[1].ID, Reason: wire.QuarantineInvalid}}
	if r := get(unitA); r.Total != 2 || !slices.Equal(r.Events, want) {
		t.Errorf("after a restart: %+v, want %+v", r, want)
	}
	if r := get(unitB); r.Total != 0 {
		t.Errorf("another unit sees %+v", r)
	}
	if s := put(unitA, `{"events":[{"id":"ev-2","reason":"invalid"}],"total":1}`); s != http.StatusNoContent {
		t.Fatalf("PUT: %d", s)
	}
	if r := get(unitA); r.Total != 1 || !slices.Equal(r.Events, want[1:]) {
		t.Errorf("after ev-1 was handled: %+v", r)
	}
	if n := strings.Count(e.logs.String(), "gateway now handled an event it had quarantined"); n != 1 {
		t.Errorf("logged handled %d times, want 1", n)
	}
}

// TestQuarantineReportUnissued: a report that names events the store
// never issued to the unit (another unit's event, a made-up id) is taken
// (204) with those ids left out and one warning; the gauge counts the
// issued ones only, per unit, and carries no patient data.
func TestQuarantineReportUnissued(t *testing.T) {
	e := newEnv(t)
	caseA, caseB := e.submit(unitA, "Fråga A"), e.submit(unitB, "Fråga B")
	evA, evB := e.inbox(unitA, 0, 10).Events[0].ID, e.inbox(unitB, 0, 10).Events[0].ID
	body := `{"events":[{"id":"` + evB + `","reason":"conflict"},{"id":"` + evA + `","reason":"invalid"},{"id":"made-up-1","reason":"unknown-case"}],"total":3}`
	if status, _, b := e.do(e.api, unitA, http.MethodPut, wire.PathQuarantine2, wire.ContentTypeJSON, []byte(body)); status != http.StatusNoContent {
		t.Fatalf("PUT: %d %s", status, b)
	}
	r, err := e.store.Quarantine(t.Context(), unitA)
	if err != nil {
		t.Fatal(err)
	}
	if want := []wire.QuarantinedEvent{{ID: evA, Reason: wire.QuarantineInvalid}}; r.Total != 1 || !slices.Equal(r.Events, want) {
		t.Errorf("kept %+v, want only the event issued to the unit", r)
	}
	if n := strings.Count(e.logs.String(), "quarantine report names events this store never issued to the unit; left out"); n != 1 {
		t.Errorf("the unissued ids logged %d times, want 1", n)
	}
	if n := strings.Count(e.logs.String(), "gateway could not handle an acknowledged event"); n != 1 {
		t.Errorf("unhandled events logged %d times, want 1 (the issued one)", n)
	}

	rec := httptest.NewRecorder()
	e.store.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	got := rec.Body.String()
	for _, line := range []string{
		"# TYPE clinicgw_central_unhandled_events gauge",
		`clinicgw_central_unhandled_events{unit="` + unitA + `"} 1`,
		`clinicgw_central_unhandled_events{unit="` + unitB + `"} 0`,
	} {
		if !slices.Contains(strings.Split(got, "\n"), line) {
			t.Errorf("metrics lack %q:\n%s", line, got)
		}
	}
	for _, canary := range []string{caseA, caseB, evA, evB, adultPNR, "Fråga"} {
		if strings.Contains(got, canary) {
			t.Errorf("metrics carry %q", canary)
		}
	}
	if rec.Header().Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("content type %q", rec.Header().Get("Content-Type"))
	}
}
