//go:build unix

package uplink

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock"
	"clinicgw/sync/logtest"
	"clinicgw/sync/tlsconf"
)

// The gateway killed as a real process (FT3): a child process (this test
// binary, re-executed) runs the gateway — encrypted store, cases service,
// uplink — and a worker that assigns and answers every case it receives.
// The parent serves the central store, submits cases between rounds, and
// SIGKILLs the child at a random moment 0–150 ms after it is up, whatever
// it is doing: pulling, applying, acknowledging, answering, pushing. After
// the rounds one last child runs until everything is delivered; then the
// model check: every submitted case is in the gateway exactly once (one
// access-log receive entry each), answered, with an empty outbox, and every
// case at the central store carries exactly one answer, with exactly one
// patient notice each. CLINICGW_UPLINK_KILL_ROUNDS sets the rounds (100 by
// default; `make soak` runs 1000).
//
// Every other round is a named fault instead (FT2): the child kills itself
// with SIGKILL the first time it reaches one fault point
// (received, stored, acked, pushed, confirmed, in turn), so each step of the
// sync path is proven to be a safe place to die, not only the places a
// random timer happens to hit.

const (
	killChildEnv = "CLINICGW_UPLINK_KILL_CHILD" // the gateway's folder
	killURLEnv   = "CLINICGW_UPLINK_KILL_URL"   // the central store's address
	killDrainEnv = "CLINICGW_UPLINK_KILL_DRAIN" // run until this many cases are answered and pushed
	killFaultEnv = "CLINICGW_UPLINK_KILL_FAULT" // "point:n": SIGKILL itself the nth time point is reached
)

// faultKiller returns a Fault hook that SIGKILLs this process the nth time
// it reaches the fault point named in spec ("point:n"), or nil for "".
func faultKiller(t *testing.T, spec string) func(FaultPoint) {
	if spec == "" {
		return nil
	}
	name, count, ok := strings.Cut(spec, ":")
	n, err := strconv.Atoi(count)
	if !ok || err != nil {
		t.Fatalf("bad %s %q", killFaultEnv, spec)
	}
	var mu sync.Mutex
	return func(p FaultPoint) {
		if string(p) != name {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if n--; n == 0 {
			os.Stdout.WriteString("fault " + name + "\n")
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}
}

func TestKillChild(t *testing.T) {
	dir := os.Getenv(killChildEnv)
	if dir == "" {
		t.Skip("helper process for TestGatewayKilled")
	}
	ctx := context.Background()
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
	pkiDir := filepath.Join(dir, "pki")
	cert, err := tlsconf.LoadKeyPair(filepath.Join(pkiDir, "unit.pem"), filepath.Join(pkiDir, "unit.key"))
	if err != nil {
		t.Fatal(err)
	}
	roots, err := tlsconf.LoadPool(filepath.Join(pkiDir, "root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	up, err := New(Config{
		BaseURL: os.Getenv(killURLEnv), TLS: tlsconf.Client(cert, roots, "127.0.0.1", nil), Cases: svc,
		Logger: newLogger(&logtest.Buffer{}), PollInterval: 200 * time.Millisecond, PushInterval: 100 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond, Fault: faultKiller(t, os.Getenv(killFaultEnv)),
	})
	if err != nil {
		t.Fatal(err)
	}
	// "ready" before the uplink runs: its first fault point (received)
	// may come before this goroutine is scheduled again, and its "fault"
	// line, or its SIGKILL, must never come before "ready" (under load
	// that made a fault round fail with "the gateway did not start").
	os.Stdout.WriteString("ready\n")
	go up.Run(ctx)
	drain, _ := strconv.Atoi(os.Getenv(killDrainEnv))
	for {
		received, err := svc.List(ctx, distributor, cases.Filter{Status: []cases.Status{cases.Received}, Limit: cases.MaxListLimit})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range received {
			if _, err := svc.Do(ctx, distributor, c.ID, cases.Command{Action: cases.Assign, Assignee: clinician.HSAID}); err != nil {
				t.Fatal(err)
			}
		}
		mine, err := svc.List(ctx, clinician, cases.Filter{Status: []cases.Status{cases.Assigned}, Limit: cases.MaxListLimit})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range mine {
			if _, err := svc.Do(ctx, clinician, c.ID, cases.Command{Action: cases.SendAnswer, Text: answerText, Signature: signature}); err != nil {
				t.Fatal(err)
			}
			up.Kick()
		}
		if drain > 0 {
			answered, err := countStatus(db, cases.Answered)
			if err != nil {
				t.Fatal(err)
			}
			pending, err := svc.PendingOutbound(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if answered >= drain && len(pending) == 0 {
				db.Close()
				os.Stdout.WriteString("drained\n")
				return
			}
		}
		time.Sleep(20 * time.Millisecond) // the worker's pace, not synchronisation
	}
}

func TestGatewayKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	rounds := 100
	if s := os.Getenv("CLINICGW_UPLINK_KILL_ROUNDS"); s != "" {
		var err error
		if rounds, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
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

	child := func(drain int, fault string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir, killURLEnv+"="+c.url(), killFaultEnv+"="+fault)
		if drain > 0 {
			cmd.Env = append(cmd.Env, killDrainEnv+"="+strconv.Itoa(drain))
		}
		cmd.Stderr = os.Stderr
		return cmd
	}
	submitted := map[string]int{}  // case id → patient index
	faults := map[FaultPoint]int{} // fault point → rounds that died there
	timed, missed := 0, 0          // rounds killed by the timer; fault rounds that never reached their point
	for round := range rounds {
		for range 3 {
			i := len(submitted)
			submitted[c.submit(i)] = i
		}
		fault := ""
		if round%2 == 1 {
			fault = fmt.Sprintf("%s:1", FaultPoints[(round/2)%len(FaultPoints)])
		}
		cmd := child(0, fault)
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
			t.Fatalf("round %d: the gateway did not start", round)
		}
		if fault == "" {
			n, _ := rand.Int(rand.Reader, big.NewInt(150_000))
			time.Sleep(time.Duration(n.Int64()) * time.Microsecond) // the fault's timing, not synchronisation
			cmd.Process.Signal(syscall.SIGKILL)
			timed++
		} else {
			// The child dies at its fault point; one that never gets
			// there (nothing left to push, say) is killed after 20 s and
			// fails the test (a slow machine or the race detector takes
			// more than the 3 s this once allowed).
			timer := time.AfterFunc(20*time.Second, func() { cmd.Process.Signal(syscall.SIGKILL) })
			for lines.Scan() {
				if p, ok := strings.CutPrefix(lines.Text(), "fault "); ok {
					faults[FaultPoint(p)]++
				}
			}
			if !timer.Stop() {
				missed++
			}
		}
		reapKilled(t, cmd, lines, fmt.Sprintf("round %d: the gateway", round))
	}

	// One last gateway runs until everything is delivered.
	last := child(len(submitted), "")
	done := make(chan error, 1)
	outBytes := make(chan []byte, 1)
	go func() { b, err := last.Output(); outBytes <- b; done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the last gateway: %v\n%s", err, <-outBytes)
		}
	case <-time.After(90 * time.Second):
		last.Process.Kill()
		t.Fatal("the last gateway did not deliver everything within 90 s")
	}

	// The model check, gateway side.
	kek, err := store.LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "store.db"), kek, store.Options{Unit: unit})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(context.Background()); err != nil {
		t.Fatalf("bbolt check: %v", err)
	}
	if _, err := db.VerifyAudit(context.Background()); err != nil {
		t.Fatalf("access log: %v", err)
	}
	g := &gateway{t: t, db: db}
	if g.svc, err = cases.NewService(cases.ServiceConfig{Unit: unit, Store: db, Clock: clock.System, Rand: rand.Reader, Logger: newLogger(&logtest.Buffer{})}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	err = db.View(context.Background(), func(tx cases.ReadTx) error {
		return tx.Cases(func(c *cases.Case) bool {
			ids[string(c.ID)] = c.Status == cases.Answered
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	receives := g.receives()
	lost, dup := 0, 0
	for id := range submitted {
		answered, ok := ids[id]
		if !ok {
			lost++
		} else if !answered {
			t.Errorf("case %s is stored but not answered", id)
		}
		switch n := receives[id]; {
		case n > 1:
			dup++
		case n == 0 && ok:
			t.Errorf("case %s is stored without its receive entry in the access log", id)
		}
	}
	if lost != 0 || dup != 0 || len(ids) != len(submitted) {
		t.Fatalf("gateway: %d submitted, %d stored, %d lost, %d received twice", len(submitted), len(ids), lost, dup)
	}
	if n := g.pending(); n != 0 {
		t.Fatalf("%d items still in the outbox", n)
	}
	// Central side: exactly one answer per case, one notice per answer.
	answers := 0
	for id, i := range submitted {
		pc := c.patientCase(i, id)
		if pc.StaffMessages() != 1 {
			t.Errorf("case %s carries %d answers at the central store, want 1", id, pc.StaffMessages())
		}
		answers += pc.StaffMessages()
	}
	if n := len(c.notifier.Notices()); n != len(submitted) {
		t.Errorf("%d patient notices for %d answers", n, len(submitted))
	}
	if rounds >= 2*len(FaultPoints) {
		for _, p := range FaultPoints {
			if faults[p] == 0 {
				t.Errorf("no round died at fault point %s", p)
			}
		}
	}
	// Every fault round has three new cases to receive, store, ack,
	// answer and push: one that never reached its point tested nothing.
	if missed > 0 {
		t.Errorf("%d fault rounds never reached their fault point (faults reached: %v)", missed, faults)
	}
	t.Logf("faults reached: %v; %d timed kills", faults, timed)
	t.Logf("%d SIGKILLs of the gateway; %d cases submitted, stored once each, answered once each at the central store; 0 lost, 0 duplicated", rounds, len(submitted))
}

// reapKilled reads the rest of a child's output, waits for it and fails
// the test unless SIGKILL ended it (its own or the test's).
func reapKilled(t *testing.T, cmd *exec.Cmd, lines *bufio.Scanner, what string) {
	t.Helper()
	for lines.Scan() {
	}
	var exit *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("%s ended with %v, want SIGKILL", what, err)
	}
}

// countStatus counts the cases with status st through the store's index:
// List returns at most cases.MaxListLimit.
func countStatus(db *store.DB, st cases.Status) (int, error) {
	n := 0
	err := db.View(context.Background(), func(tx cases.ReadTx) error {
		return tx.Lookup(cases.ByStatus, string(st), func(cases.ID) bool { n++; return true })
	})
	return n, err
}
