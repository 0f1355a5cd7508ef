//go:build linux

package uplink

import (
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/powercut"
	"clinicgw/agent/store"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock"
	"clinicgw/sync/logtest"
)

// The sync on a disk that loses power (agent/powercut): the kill test's
// gateway (TestKillChild: store, cases service, uplink, a worker answering
// every case) runs with its folder on the power-cut disk, pulling from and
// pushing to the reference central store (on the ordinary disk), and the
// power goes at a random moment, a time or an exact operation. After every
// cut the gateway's store is reopened from what the disk kept and must
// hold every case the gateway acknowledged to the central store (every
// event up to the central store's acknowledged cursor: the pull), and as
// answered every case whose answer the central store confirmed (the
// push); bbolt's check passes. After the rounds a last gateway runs on
// the plain disk until everything is delivered: every case stored once,
// answered once at the central store. The control: the same gateway with
// its store's fsyncs dropped (what bbolt's NoSync does) must lose
// something it had acknowledged or pushed. CLINICGW_POWERCUT_ROUNDS sets
// the rounds (50 by default; `make soak` runs 1000).
func TestPowerCutSync(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	powercut.Require(t)
	rounds := powercut.Rounds(t, 50)
	c := startCentral(t)
	backing := t.TempDir()
	dir := filepath.Join(backing, "data")
	gatewayFolder(t, dir)

	seq := map[string]uint64{} // case id → its event's sequence number at the central store
	patient := map[string]int{}
	submit := func(n int) {
		for range n {
			i := len(patient)
			id := c.submit(i)
			seq[id], patient[id] = c.head(), i
		}
	}
	start := time.Now()
	var total powercut.Stats
	maxAcked, maxAnswered := 0, 0
	for round := range rounds {
		submit(3)
		d := syncRound(t, c, backing, powercut.RandomWhen(round, 150*time.Millisecond, 300), false)
		s := d.Stats()
		total.Writes += s.Writes
		total.FileSyncs += s.FileSyncs
		total.DirSyncs += s.DirSyncs
		total.PagesRestored += s.PagesRestored
		acked, answered, lostPulled, lostAnswers := syncAfterCut(t, c, dir, seq, patient)
		if len(lostPulled) != 0 || len(lostAnswers) != 0 {
			t.Fatalf("round %d: after the cut the gateway lacks %d cases it acknowledged to the central store (%v) and %d answers the central store confirmed (%v)",
				round, len(lostPulled), lostPulled, len(lostAnswers), lostAnswers)
		}
		maxAcked, maxAnswered = max(maxAcked, acked), max(maxAnswered, answered)
	}
	if maxAcked == 0 || maxAnswered == 0 || total.FileSyncs == 0 || total.PagesRestored == 0 {
		t.Fatalf("the rounds tested nothing: %d cases acknowledged, %d answers confirmed; the disk saw %+v", maxAcked, maxAnswered, total)
	}
	confirmed := 0
	for id, i := range patient {
		if c.patientCase(i, id).StaffMessages() > 0 {
			confirmed++
		}
	}
	t.Logf("%d power cuts of the syncing gateway, %v a round: %d of %d cases acknowledged to the central store and %d answers confirmed by the last cut, none missing after any cut; the disk saw %d writes, %d file syncs, %d folder syncs and put back %d pages",
		rounds, (time.Since(start) / time.Duration(rounds)).Round(time.Millisecond), maxAcked, len(seq), confirmed, total.Writes, total.FileSyncs, total.DirSyncs, total.PagesRestored)
	drainAfterCuts(t, c, dir, patient)

	// The control: the store's fsyncs dropped; new cases, a gateway that
	// pulls and answers them, and the cut once it has.
	submit(5)
	lost := 0
	for round := 0; round < 5 && lost == 0; round++ {
		syncRound(t, c, backing, powercut.When{Delay: 600 * time.Millisecond}, true)
		_, _, lostPulled, lostAnswers := syncAfterCut(t, c, dir, seq, patient)
		lost = len(lostPulled) + len(lostAnswers)
		submit(2)
	}
	if lost == 0 {
		t.Fatal("control: with the store's fsyncs dropped nothing acknowledged or confirmed was lost: the power-cut disk does not test durability")
	}
	t.Logf("control with the store's fsyncs dropped: %d acknowledged cases or confirmed answers missing after the cut", lost)
}

// gatewayFolder writes a gateway's key file and certificates into dir.
func gatewayFolder(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := store.GenerateKeyFile(filepath.Join(dir, "kek.key"), rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	pkiDir := filepath.Join(dir, "pki")
	if err := testPKI().WriteDir(pkiDir); err != nil {
		t.Fatal(err)
	}
	if err := devpki.WriteTLS(pkiDir, "unit", unitCert(t)); err != nil {
		t.Fatal(err)
	}
}

// syncRound runs one gateway on a fresh mount of backing and cuts at when.
func syncRound(t *testing.T, c *centralSrv, backing string, when powercut.When, dropSyncs bool) *powercut.Disk {
	t.Helper()
	d := powercut.Mount(t, backing)
	if dropSyncs {
		d.DropSyncs(nil)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+d.Dir(), killURLEnv+"="+c.url(), killFaultEnv+"=")
	d.RunChild(t, cmd, when, func(string) {})
	d.Unmount(t)
	return d
}

// syncAfterCut opens the gateway's store as the disk kept it and compares
// it with the central store: the cases up to the acknowledged cursor that
// are missing, and the cases answered at the central store that are not
// answered in the gateway. It also counts the acknowledged cases, and
// those answered at either end.
func syncAfterCut(t *testing.T, c *centralSrv, dir string, seq map[string]uint64, patient map[string]int) (acked, answered int, lostPulled, lostAnswers []string) {
	t.Helper()
	ctx := context.Background()
	if _, err := os.Stat(filepath.Join(dir, "store.db")); os.IsNotExist(err) {
		// Cut before the store was created: nothing can have been acknowledged.
		cursor, err := c.store.Acked(ctx, unit)
		if err != nil {
			t.Fatal(err)
		}
		if cursor != 0 {
			t.Fatalf("the gateway's store is gone, but the central store has its acknowledgement up to %d", cursor)
		}
		return 0, 0, nil, nil
	}
	kek, err := store.LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "store.db"), kek, store.Options{Unit: unit})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Fatalf("bbolt check after the cut: %v", err)
	}
	status := map[string]cases.Status{}
	err = db.View(ctx, func(tx cases.ReadTx) error {
		return tx.Cases(func(k *cases.Case) bool { status[string(k.ID)] = k.Status; return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	c.mu.RLock()
	cursor, err := c.store.Acked(ctx, unit)
	c.mu.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	for id, s := range seq {
		if s > cursor {
			continue
		}
		acked++
		if _, ok := status[id]; !ok {
			lostPulled = append(lostPulled, id)
		}
		st, ok := status[id]
		switch {
		case ok && st == cases.Answered:
			answered++ // answered here: nothing the central store holds can be missing
		case c.patientCase(patient[id], id).StaffMessages() > 0:
			answered++
			if ok {
				lostAnswers = append(lostAnswers, id+" ("+string(st)+")")
			}
		}
	}
	return acked, answered, lostPulled, lostAnswers
}

// drainAfterCuts runs a last gateway on the plain disk until every case is
// answered and pushed, then demands each case stored once and answered
// once at the central store.
func drainAfterCuts(t *testing.T, c *centralSrv, dir string, patient map[string]int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir, killURLEnv+"="+c.url(), killFaultEnv+"=", killDrainEnv+"="+strconv.Itoa(len(patient)))
	done := make(chan error, 1)
	go func() { _, err := cmd.Output(); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the last gateway: %v", err)
		}
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("the last gateway did not deliver everything within 90 s")
	}
	kek, err := store.LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "store.db"), kek, store.Options{Unit: unit})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g := &gateway{t: t, db: db}
	if g.svc, err = cases.NewService(cases.ServiceConfig{Unit: unit, Store: db, Clock: clock.System, Rand: rand.Reader, Logger: newLogger(&logtest.Buffer{})}); err != nil {
		t.Fatal(err)
	}
	receives := g.receives()
	for id, i := range patient {
		if receives[id] != 1 {
			t.Errorf("case %s received %d times by the gateway, want once", id, receives[id])
		}
		if n := c.patientCase(i, id).StaffMessages(); n != 1 {
			t.Errorf("case %s carries %d answers at the central store, want 1", id, n)
		}
	}
	if n := g.pending(); n != 0 {
		t.Errorf("%d items still in the outbox", n)
	}
}
