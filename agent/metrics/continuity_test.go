package metrics

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/clock/clocktest"
)

// TestSyncContinuity: a central store gone back in time is a figure on
// /metrics and makes /healthz fail with the state ("behind", "diverged")
// until the reconciliation completes, and with "reconcile-incomplete"
// when it could not give everything back; never /readyz.
func TestSyncContinuity(t *testing.T) {
	f := &SyncFigures{}
	src := Sources{Clock: clocktest.New(time.Now()), Store: fakeSources{}, Sync: fakeSources{sync: f}}
	for _, tc := range []struct {
		figures SyncFigures
		state   string
		broken  float64
	}{
		{SyncFigures{}, StateOK, 0},
		{SyncFigures{Continuity: "behind"}, "behind", 1},
		{SyncFigures{Continuity: "diverged", Reconciliations: 1}, "diverged", 1},
		{SyncFigures{Reconciliations: 2}, StateOK, 0},
		{SyncFigures{Reconciliations: 1, ReconcileIncomplete: true}, "reconcile-incomplete", 0},
	} {
		*f = tc.figures
		fams := gather(t, src)
		if one(t, fams, "clinicgw_sync_continuity_broken") != tc.broken ||
			one(t, fams, "clinicgw_sync_reconciliations_total") != float64(tc.figures.Reconciliations) {
			t.Errorf("%+v: metrics %v %v", tc.figures, fams["clinicgw_sync_continuity_broken"], fams["clinicgw_sync_reconciliations_total"])
		}
		reg, err := NewRegistry(NewCollector(src))
		if err != nil {
			t.Fatal(err)
		}
		h := Handler(HandlerConfig{Gatherer: reg, Checks: []Check{ContinuityCheck(src.Sync)}})
		for path, want := range map[string]int{PathHealth: map[bool]int{true: 200, false: 503}[tc.state == StateOK], PathReady: 200} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
			if w.Code != want {
				t.Errorf("%+v: %s answered %d, want %d", tc.figures, path, w.Code, want)
			}
			if path == PathHealth && !strings.Contains(w.Body.String(), `"sync-continuity":"`+tc.state+`"`) {
				t.Errorf("%+v: /healthz %s, want the state %q", tc.figures, w.Body, tc.state)
			}
		}
	}
	if st := ContinuityCheck(fakeSources{}).Run(context.Background()); st != StateOK {
		t.Errorf("offline: %q", st)
	}
}
