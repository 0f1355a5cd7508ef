package central

import (
	"bytes"
	"net/http"
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
	put := func(unit, body string) int {
		t.Helper()
		status, _, _ := e.do(e.api, unit, http.MethodPut, wire.PathQuarantine2, wire.ContentTypeJSON, []byte(body))
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
	want := []wire.QuarantinedEvent{{ID: "ev-1", Reason: wire.QuarantineConflict}, {ID: "ev-2", Reason: wire.QuarantineInvalid}}
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
