//go:build unix

package uplink

import (
	"bufio"
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock"
	"clinicgw/sync/logtest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestQuarantineReportAfterCrash: the gateway dies (SIGKILL, a real
// process) right after the central store took the acknowledgement of a
// page with a quarantined event, before it could report its quarantine:
// the central store counts the event as delivered and holds no report of
// it. At the next start the gateway reports it, from its store.
func TestQuarantineReportAfterCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	ctx := context.Background()
	c := startCentral(t)
	dir := t.TempDir()
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
	// A case here with the central case's id and other content: its
	// case.created event is quarantined as a conflict.
	clash := c.submit(0)
	kek, err := store.LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "store.db"), kek, store.Options{Unit: unit})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := cases.NewService(cases.ServiceConfig{Unit: unit, Store: db, Clock: clock.System, Rand: rand.Reader, Logger: newLogger(&logtest.Buffer{})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Receive(ctx, cases.Submission{ID: cases.ID(clash), Type: casetype.AdviceNurse,
		Patient: cases.Person{PNR: personnummer.Personnummer(patients[0]), Name: patientName},
		Text:    "Något helt annat.", SubmittedAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	report := func() wire.QuarantineReport {
		t.Helper()
		c.mu.RLock()
		defer c.mu.RUnlock()
		r, err := c.store.Quarantine(ctx, unit)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	child := func(fault string) (*exec.Cmd, *bufio.Scanner) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir, killURLEnv+"="+c.url(), killFaultEnv+"="+fault)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		if !lines.Scan() || lines.Text() != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the gateway did not start")
		}
		return cmd, lines
	}

	// The first run dies once the acknowledgement is taken.
	head := c.head()
	cmd, lines := child(string(FaultAcked) + ":1")
	timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Signal(syscall.SIGKILL) })
	died := false
	for lines.Scan() {
		died = died || lines.Text() == "fault "+string(FaultAcked)
	}
	timer.Stop()
	reapKilled(t, cmd, lines, "the gateway killed after the acknowledgement")
	if !died {
		t.Fatal("the gateway never reached the acknowledgement: the test proves nothing")
	}
	if acked, err := c.store.Acked(ctx, unit); err != nil || acked != head {
		t.Fatalf("acked %d, %v; want %d", acked, err, head)
	}
	if r := report(); r.Total != 0 {
		t.Fatalf("the central store has a report before the restart (%+v): the crash did not fall between the acknowledgement and the report", r)
	}

	// The next start reports it.
	cmd, lines = child("")
	defer func() {
		cmd.Process.Signal(syscall.SIGKILL)
		reapKilled(t, cmd, lines, "the restarted gateway")
	}()
	waitFor(t, 20*time.Second, "the quarantine reported after the restart", func() bool {
		r := report()
		return r.Total == 1 && len(r.Events) == 1 && r.Events[0].Reason == wire.QuarantineConflict
	})
}
