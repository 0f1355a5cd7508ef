//go:build unix

package uplink

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The central store restored from an older copy of its file (issue 16),
// with real processes: the central store runs as its own process
// (centralProc) over mutual TLS on loopback; patients write cases in it,
// the gateway pulls them and staff answer some, the answers are
// confirmed. At a random point a hot copy of the running store's file is
// taken (central.Store.Backup, its backup). Later the process is killed,
// the older file put back and a new process started on it; new cases
// arrive, in some rounds before the new process serves the gateway at
// all. Staff answer on. Afterwards, against the test's own record (the
// cases the processes reported accepted, the answers staff sent), every
// case is in the gateway exactly once with the text it was written with,
// every case and every answer is on the patient's pages (logged in over
// TLS, as a patient sees them) exactly once, and the gateway said that
// the central store went back (Status.Continuity, /healthz) and
// reconciled with it.
// CLINICGW_CENTRAL_RESTORE_ROUNDS sets the rounds (20 by default).

func TestCentralRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
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
		if !t.Run("round"+strconv.Itoa(r), func(t *testing.T) { restoreRound(t, rnd, r, false) }) {
			t.Fatalf("round %d failed (seed %d)", r, seed)
		}
	}
}

// restoreRound runs one restore of the central store; sealed: with the
// unit's sealing on from the start (restore_sealed_test.go).
func restoreRound(t *testing.T, rnd *rand.Rand, round int, sealed bool) {
	c := startCentralProc(t, round)
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
	if sealed {
		sealGateway(t, g)
	}
	g.start()
	if sealed {
		waitFor(t, 10*time.Second, "sealing on", func() bool { return g.up.Status().Sealing == SealingOn })
	}

	owner := map[string]int{} // case id → submission index: every case a central store process reported accepted
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
	if early {
		c.restoreFrom(backup, after, before, owner)
	} else {
		c.restoreFrom(backup, 0, 0, owner)
		for i := range after {
			owner[c.submit(before+i)] = before + i
		}
	}
	if len(owner) != before+after {
		t.Fatalf("%d cases reported accepted, want %d", len(owner), before+after)
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
			found, n := c.patientAnswers(i, id)
			if !found {
				missingCases = append(missingCases, id)
				continue
			}
			if answered[id] && n == 0 {
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
	// Exactly once: one receive per case in the gateway, each with the
	// text its submission was written with, one answer per answered case
	// on the patient's pages, nothing else.
	if ids := g.ids(); len(ids) != len(owner) {
		t.Errorf("the gateway holds %d cases, the central store accepted %d", len(ids), len(owner))
	}
	for id, n := range g.receives() {
		if n != 1 {
			t.Errorf("case %s was received %d times", id, n)
		}
	}
	for id, i := range owner {
		if text := g.caseText(id); text != caseText+" "+killMarker(round, i) {
			t.Errorf("case %s in the gateway reads %q, want submission %d's text", id, text, i)
		}
		_, n := c.patientAnswers(i, id)
		want := 0
		if answered[id] {
			want = 1
		}
		if n != want {
			t.Errorf("case %s shows %d answers on the patient's page, want %d", id, n, want)
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
	if sealed {
		checkSealedRestore(t, g)
	}
}
