package metrics

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/clock/clocktest"

	dto "github.com/prometheus/client_model/go"
)

// TestRestoreRecovery: after the gateway's store was restored from a
// backup, getting back what the central store confirmed after it is a
// figure on /metrics and makes /healthz fail with "pending" until it is
// back and "incomplete" when not all of it came back; never /readyz.
func TestRestoreRecovery(t *testing.T) {
	f := &SyncFigures{}
	src := Sources{Clock: clocktest.New(time.Now()), Store: fakeSources{}, Sync: fakeSources{sync: f}}
	for _, tc := range []struct {
		state               string
		pending, incomplete float64
	}{
		{"", 0, 0},
		{RestorePending, 1, 0},
		{RestoreIncomplete, 0, 1},
	} {
		f.RestoreRecovery = tc.state
		fams := gather(t, src)
		if got := value(t, fams, "clinicgw_sync_restore_recovery", "state", RestorePending); got != tc.pending {
			t.Errorf("%q: pending %v, want %v", tc.state, got, tc.pending)
		}
		if got := value(t, fams, "clinicgw_sync_restore_recovery", "state", RestoreIncomplete); got != tc.incomplete {
			t.Errorf("%q: incomplete %v, want %v", tc.state, got, tc.incomplete)
		}
		reg, err := NewRegistry(NewCollector(src))
		if err != nil {
			t.Fatal(err)
		}
		want := tc.state
		if want == "" {
			want = StateOK
		}
		h := Handler(HandlerConfig{Gatherer: reg, Checks: []Check{RestoreRecoveryCheck(src.Sync)}})
		for path, code := range map[string]int{PathHealth: map[bool]int{true: 200, false: 503}[want == StateOK], PathReady: 200} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
			if w.Code != code {
				t.Errorf("%q: %s answered %d, want %d", tc.state, path, w.Code, code)
			}
			if path == PathHealth && !strings.Contains(w.Body.String(), `"restore-recovery":"`+want+`"`) {
				t.Errorf("%q: /healthz %s, want the state %q", tc.state, w.Body, want)
			}
		}
	}
	if st := RestoreRecoveryCheck(fakeSources{}).Run(context.Background()); st != StateOK {
		t.Errorf("offline: %q", st)
	}
}

// value is the sample of the family name whose label has the value.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name, label, v string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no %s", name)
	}
	for _, m := range f.Metric {
		for _, l := range m.Label {
			if l.GetName() == label && l.GetValue() == v {
				return m.Gauge.GetValue()
			}
		}
	}
	t.Fatalf("%s has no sample with %s=%q", name, label, v)
	return 0
}
