package uplink

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"clinicgw/agent/cases"
	"clinicgw/agent/metrics"
	"clinicgw/sync/clock/clocktest"
)

// healthz is the gateway's /healthz with its sync-continuity check (as
// agent wires it) over u's state: the status code, a space, the body.
func healthz(u *Uplink) string {
	src := statusSource{u}
	h := metrics.Handler(metrics.HandlerConfig{Gatherer: prometheus.NewRegistry(), Checks: []metrics.Check{metrics.ContinuityCheck(src)}})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, metrics.PathHealth, nil))
	return strconv.Itoa(w.Code) + " " + w.Body.String()
}

// statusSource gives metrics the uplink's continuity, as agent does.
type statusSource struct{ u *Uplink }

func (s statusSource) SyncFigures() (metrics.SyncFigures, bool) {
	st := s.u.Status()
	return metrics.SyncFigures{Continuity: string(st.Continuity), Reconciliations: st.Reconciliations,
		ReconcileIncomplete: st.LastReconcile.Incomplete()}, true
}

// backupTo copies the central store's file to path: the store is stopped
// for the copy and started again where it was.
func (c *centralSrv) backupTo(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked()
	copyFile(c.t, c.path, path)
	c.open(c.addr)
}

// restoreFrom stops the central store, puts the file at path in place of
// its own, opens the store and runs before (with the store open, its API
// not yet served), then serves the API again where it was.
func (c *centralSrv) restoreFrom(path string, before func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked()
	copyFile(c.t, path, c.path)
	c.openThen(c.addr, before)
}

// patientCaseErr is patientCase that returns the error.
func (c *centralSrv) patientCaseErr(i int, id string) (pcase interface{ StaffMessages() int }, err error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	pc, err := c.store.PatientCase(context.Background(), patients[i%len(patients)], id)
	return pc, err
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreFoundAtConnect: with polling as good as off (an hour), a
// central store restored from an older copy is found by the pull that
// every stream connect starts, both when no new event came (it is behind)
// and when as many new events came as it lost before the gateway's stream
// was back (the same head seq, another chain: diverged).
func TestRestoreFoundAtConnect(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fresh int // new cases at the restored store before it serves
		want  Continuity
	}{
		{"no new events", 0, ContinuityBehind},
		{"as many new events as lost", 2, ContinuityDiverged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startCentral(t)
			var mu sync.Mutex
			var seen []Continuity
			var g *gateway
			g = newGateway(t, c.url(), unitCert(t), func(cfg *Config) {
				cfg.PollInterval, cfg.PushInterval = time.Hour, time.Hour
				cfg.Fault = func(p FaultPoint) {
					if p == FaultDiverged {
						mu.Lock()
						seen = append(seen, g.up.Status().Continuity)
						mu.Unlock()
					}
				}
			})
			g.start()
			first := c.submit(0)
			waitFor(t, 10*time.Second, "the first case", func() bool { return g.ids()[first] })
			backup := t.TempDir() + "/backup.db"
			c.backupTo(backup)
			lost := []string{c.submit(1), c.submit(2)}
			waitFor(t, 10*time.Second, "the later cases", func() bool { return g.ids()[lost[0]] && g.ids()[lost[1]] })
			var fresh []string
			c.restoreFrom(backup, func() {
				for i := range tc.fresh {
					fresh = append(fresh, c.submitLocked(3+i))
				}
			})
			waitFor(t, 10*time.Second, "the reconciliation", func() bool { return g.up.Status().Reconciliations == 1 })
			mu.Lock()
			if len(seen) != 1 || seen[0] != tc.want {
				t.Errorf("continuity when found: %v, want [%s]", seen, tc.want)
			}
			mu.Unlock()
			waitFor(t, 10*time.Second, "the new cases", func() bool {
				ids := g.ids()
				for _, id := range fresh {
					if !ids[id] {
						return false
					}
				}
				return true
			})
			for _, i := range []int{1, 2} {
				if _, err := c.patientCaseErr(i, lost[i-1]); err != nil {
					t.Errorf("the lost case %s is not back on the patient's pages: %v", lost[i-1], err)
				}
			}
			if rep := g.up.Status().LastReconcile; rep.Common != 1 || rep.Restored != 2 || rep.Incomplete() {
				t.Errorf("reconcile report %+v, want common 1 and 2 events restored", rep)
			}
		})
	}
}

// TestRestoreBeyondRetention: a central store restored from a copy older
// than what the gateway keeps (central.retention) gets back what is kept
// (the answer confirmed within it) but not the cases the journal no
// longer holds: the reconciliation says so (Incomplete), /healthz fails
// with reconcile-incomplete and the log names it, instead of claiming
// success.
func TestRestoreBeyondRetention(t *testing.T) {
	c := startCentral(t)
	clock := clocktest.New(time.Now())
	g := newGatewayClock(t, c.url(), unitCert(t), clock, nil)
	g.start()
	first := c.submit(0)
	waitFor(t, 10*time.Second, "the first case", func() bool { return g.ids()[first] })
	backup := t.TempDir() + "/backup.db"
	c.backupTo(backup)
	lost := c.submit(1)
	waitFor(t, 10*time.Second, "the later case", func() bool { return g.ids()[lost] })
	clock.Advance(cases.DefaultSyncRetention + time.Hour) // the journal's entries age out …
	g.answer(first)                                       // … at the next confirmation
	waitFor(t, 10*time.Second, "the answer confirmed", func() bool { return g.pending() == 0 })
	c.restoreFrom(backup, nil)
	waitFor(t, 10*time.Second, "the reconciliation", func() bool { return g.up.Status().Reconciliations == 1 })
	rep := g.up.Status().LastReconcile
	if !rep.Unreachable || !rep.Incomplete() || rep.Recovered != 2 { // the assignment's status and the answer
		t.Errorf("reconcile report %+v, want the journal too short, the status and the answer recovered", rep)
	}
	if h := healthz(g.up); !strings.HasPrefix(h, "503 ") || !strings.Contains(h, `"sync-continuity":"reconcile-incomplete"`) {
		t.Errorf("/healthz: %s", h)
	}
	waitFor(t, 10*time.Second, "the answer on the patient's page", func() bool { return c.patientCase(0, first).StaffMessages() == 1 })
	if _, err := c.patientCaseErr(1, lost); err == nil {
		t.Error("a case the gateway no longer kept came back")
	}
	if n := countLogged(g.logs.String(), "reconciled with the central store"); n != 1 {
		t.Errorf("the reconciliation was logged %d times", n)
	}
}
