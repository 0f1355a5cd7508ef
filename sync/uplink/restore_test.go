package uplink

import (
	"context"
	"io"
	"math/rand/v2"
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
)

// The central store restored from an older copy of its file (issue 16):
// the central store runs over mutual TLS on loopback; patients write cases,
// the gateway pulls them and staff answer some, the answers are confirmed.
// At a random point the central store's file is copied (its backup). Later
// the central store is stopped, the older file put back and the store
// started again; new cases arrive, in some rounds before the gateway's
// stream is back. Afterwards every case the central store ever accepted is
// in the gateway exactly once, every answer staff sent is on the patient's
// pages exactly once, and the gateway said that the central store went
// back (Status.Continuity) and reconciled with it.
// CLINICGW_CENTRAL_RESTORE_ROUNDS sets the rounds (20 by default).

func TestCentralRestore(t *testing.T) {
	rounds := 20
	if s := os.Getenv("CLINICGW_CENTRAL_RESTORE_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("CLINICGW_CENTRAL_RESTORE_ROUNDS=%q: want a positive number", s)
		}
		rounds = n
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 0))
	for r := range rounds {
		if !t.Run("round"+strconv.Itoa(r), func(t *testing.T) { restoreRound(t, rnd) }) {
			t.Fatalf("round %d failed (seed %d)", r, seed)
		}
	}
}

// restoreRound runs one restore of the central store.
func restoreRound(t *testing.T, rnd *rand.Rand) {
	c := startCentral(t)
	var mu sync.Mutex
	var atBreak []Status  // the uplink's state each time it found the chain broken
	var healthAt []string // /healthz then
	var g *gateway
	g = newGateway(t, c.url(), unitCert(t), func(cfg *Config) {
		cfg.PollInterval, cfg.PushInterval, cfg.MaxBackoff = 200*time.Millisecond, 200*time.Millisecond, 100*time.Millisecond
		cfg.Fault = func(p FaultPoint) {
			if p == FaultDiverged {
				mu.Lock()
				atBreak = append(atBreak, g.up.Status())
				healthAt = append(healthAt, healthz(g.up))
				mu.Unlock()
			}
		}
	})
	g.start()

	owner := map[string]int{} // case id → patient index, every case the central store accepted
	answered := map[string]bool{}
	backup := t.TempDir() + "/central-backup.db"
	before := 4 + rnd.IntN(8)  // cases before the restore
	at := rnd.IntN(before + 1) // the backup is taken after this many of them
	for i := 0; i <= before; i++ {
		if i == at {
			c.backupTo(backup)
		}
		if i == before {
			break
		}
		id := c.submit(i)
		owner[id] = i
		waitFor(t, 10*time.Second, "case "+id+" at the gateway", func() bool { return g.ids()[id] })
		if rnd.IntN(2) == 0 { // staff answer about half of them; the answer is confirmed
			g.answer(id)
			answered[id] = true
			waitFor(t, 10*time.Second, "answer in "+id+" confirmed", func() bool { return g.pending() == 0 })
		}
	}

	// The central store goes back to its backup; new cases arrive before
	// (some rounds) or after the gateway's stream is back.
	early := rnd.IntN(2) == 0
	after := rnd.IntN(10) // 0: the central store gets no new case at all
	c.restoreFrom(backup, func() {
		if early {
			for i := range after {
				id := c.submitLocked(before + i)
				owner[id] = before + i
			}
		}
	})
	if !early {
		for i := range after {
			id := c.submit(before + i)
			owner[id] = before + i
		}
	}
	// Staff answer a case the central store still had, and one it lost, if any.
	for id := range owner {
		if !answered[id] && g.ids()[id] {
			g.answer(id)
			answered[id] = true
			break
		}
	}

	deadline := time.Now().Add(15 * time.Second)
	var missingAtGateway, missingAnswers, missingCases []string
	for {
		ids := g.ids()
		missingAtGateway, missingAnswers, missingCases = nil, nil, nil
		for id := range owner {
			if !ids[id] {
				missingAtGateway = append(missingAtGateway, id)
			}
		}
		for id, i := range owner {
			pc, err := c.patientCaseErr(i, id)
			if err != nil {
				missingCases = append(missingCases, id)
				continue
			}
			if answered[id] && pc.StaffMessages() == 0 {
				missingAnswers = append(missingAnswers, id)
			}
		}
		if len(missingAtGateway)+len(missingAnswers)+len(missingCases) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(missingAtGateway)+len(missingAnswers)+len(missingCases) > 0 {
		t.Fatalf("%d cases accepted by the central store (%d before the restore, backup after %d, %d after, early=%v): %d never reached the gateway %s; %d cases gone from the patient pages %s; %d of %d answers gone from the patient pages %s",
			len(owner), before, at, after, early, len(missingAtGateway), fmtIDs(missingAtGateway),
			len(missingCases), fmtIDs(missingCases), len(missingAnswers), len(answered), fmtIDs(missingAnswers))
	}
	// Exactly once: one receive per case in the gateway, one answer per
	// answered case on the patient's pages, nothing else.
	if ids := g.ids(); len(ids) != len(owner) {
		t.Errorf("the gateway holds %d cases, the central store accepted %d", len(ids), len(owner))
	}
	for id, n := range g.receives() {
		if n != 1 {
			t.Errorf("case %s was received %d times", id, n)
		}
	}
	for id, i := range owner {
		pc := c.patientCase(i, id)
		want := 0
		if answered[id] {
			want = 1
		}
		if pc.StaffMessages() != want {
			t.Errorf("case %s has %d answers on the patient's pages, want %d", id, pc.StaffMessages(), want)
		}
	}
	// The sync state changed where people look, then recovered: a central
	// store that lost events (the backup was older than the last case)
	// was found behind or diverged once, and reconciled once.
	mu.Lock()
	defer mu.Unlock()
	st := g.up.Status()
	wantBreaks := 0
	if at < before {
		wantBreaks = 1
	}
	if len(atBreak) != wantBreaks || st.Reconciliations != wantBreaks {
		t.Errorf("the chain broke %d times and %d reconciliations completed, want %d (backup after %d of %d cases)",
			len(atBreak), st.Reconciliations, wantBreaks, at, before)
	}
	for _, b := range atBreak {
		if b.Continuity != ContinuityBehind && b.Continuity != ContinuityDiverged {
			t.Errorf("when the chain broke, Status.Continuity was %q", b.Continuity)
		}
	}
	if st.Continuity != ContinuityOK {
		t.Errorf("after the reconciliation Status.Continuity is %q", st.Continuity)
	}
	for _, h := range healthAt {
		if !strings.HasPrefix(h, "503 ") || !strings.Contains(h, `"sync-continuity":"behind"`) && !strings.Contains(h, `"sync-continuity":"diverged"`) {
			t.Errorf("/healthz when the chain broke: %s", h)
		}
	}
	if h := healthz(g.up); !strings.HasPrefix(h, "200 ") {
		t.Errorf("/healthz after the reconciliation: %s", h)
	}
	if n := countLogged(g.logs.String(), "the central store went back in time; nothing is applied or sent until this gateway has reconciled with it"); n != wantBreaks {
		t.Errorf("the break was logged %d times, want %d", n, wantBreaks)
	}
	checkNoPatientData(t, "gateway log", g.logs.String())
}

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
	clock := &fakeClock{t: time.Now()}
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
