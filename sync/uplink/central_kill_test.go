//go:build unix

package uplink

import (
	"bufio"
	"context"
	"crypto/rand"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/central"
)

// The central store killed as a real process (FT3, the other side): a child
// process (this test binary, re-executed) opens the central store's file,
// serves its API on a fixed loopback address, submits two patients' cases
// and reports each id once Submit has returned. The gateway runs in this
// process, with a worker that assigns and answers every case it receives.
// The parent SIGKILLs the central store 0–150 ms after it is up, whatever it
// is doing: serving a page, taking an ack, storing an answer. After the
// rounds one last central store runs until the gateway has everything. The
// model check then opens the central store's file here: every case it holds
// (reported or not: a kill may fall between the commit and the report) is
// in the gateway exactly once and carries exactly one answer centrally, and
// every case reported as submitted is among them.
// CLINICGW_CENTRAL_KILL_ROUNDS sets the rounds (30 by default).

const (
	centralChildEnv  = "CLINICGW_CENTRAL_KILL_CHILD"  // the central store's file
	centralAddrEnv   = "CLINICGW_CENTRAL_KILL_ADDR"   // where it serves
	centralSubmitEnv = "CLINICGW_CENTRAL_KILL_SUBMIT" // cases to submit at start
)

func TestCentralChild(t *testing.T) {
	path := os.Getenv(centralChildEnv)
	if path == "" {
		t.Skip("helper process for TestCentralKilled")
	}
	c := startCentralAt(t, path, os.Getenv(centralAddrEnv))
	n, _ := strconv.Atoi(os.Getenv(centralSubmitEnv))
	for i := range n {
		os.Stdout.WriteString("submitted " + c.submit(i) + "\n")
	}
	os.Stdout.WriteString("ready\n")
	select {} // serves until killed
}

func TestCentralKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	rounds := 30
	if s := os.Getenv("CLINICGW_CENTRAL_KILL_ROUNDS"); s != "" {
		var err error
		if rounds, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	if err := testPKI().WriteDir(pkiDir); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port for every central store to come
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	path := filepath.Join(dir, "central.db")

	g := newGateway(t, "https://"+addr, unitCert(t), func(cfg *Config) {
		cfg.PollInterval, cfg.PushInterval, cfg.MaxBackoff = 200*time.Millisecond, 100*time.Millisecond, 200*time.Millisecond
	})
	g.start()
	ctx, stopWorker := context.WithCancel(context.Background())
	workerDone := make(chan error, 1)
	go func() { workerDone <- answerAll(ctx, g) }()
	defer func() {
		stopWorker()
		if err := <-workerDone; err != nil {
			t.Errorf("worker: %v", err)
		}
	}()

	reported := map[string]bool{}
	// runCentral starts a central store child and waits until it is up;
	// it returns the child and the rest of its output.
	runCentral := func(submit int) (*exec.Cmd, *bufio.Scanner) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCentralChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), centralChildEnv+"="+path, centralAddrEnv+"="+addr,
			centralSubmitEnv+"="+strconv.Itoa(submit), pkiEnv+"="+pkiDir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		for lines.Scan() && lines.Text() != "ready" {
			if id, ok := strings.CutPrefix(lines.Text(), "submitted "); ok {
				reported[id] = true
			}
		}
		return cmd, lines
	}
	kill := func(cmd *exec.Cmd, lines *bufio.Scanner) {
		cmd.Process.Signal(syscall.SIGKILL)
		reapKilled(t, cmd, lines, "the central store")
	}
	for range rounds {
		cmd, lines := runCentral(2)
		n, _ := rand.Int(rand.Reader, big.NewInt(150_000))
		time.Sleep(time.Duration(n.Int64()) * time.Microsecond) // the fault's timing, not synchronisation
		kill(cmd, lines)
	}

	// What the central store holds is fixed now: read it while no child
	// has the file. One last central store stays up until the gateway has
	// answered all of it and the outbox is empty.
	truth := centralCases(t, path)
	cmd, lines := runCentral(0)
	waitFor(t, 60*time.Second, "every central case answered by the gateway", func() bool {
		answered, err := countStatus(g.db, cases.Answered)
		return err == nil && answered >= len(truth) && g.pending() == 0
	})
	kill(cmd, lines)
	g.stop()

	answered := centralCases(t, path)
	receives := g.receives()
	stored := g.ids()
	lost, dup := 0, 0
	for id := range truth {
		answers := answered[id]
		if !stored[id] {
			lost++
		}
		if receives[id] > 1 {
			dup++
		}
		if answers != 1 {
			t.Errorf("case %s carries %d answers at the central store, want 1", id, answers)
		}
	}
	for id := range reported {
		if _, ok := truth[id]; !ok {
			t.Errorf("case %s was reported submitted but is not in the central store", id)
		}
	}
	if lost != 0 || dup != 0 || len(stored) != len(truth) {
		t.Fatalf("central holds %d cases, the gateway %d: %d lost, %d received twice", len(truth), len(stored), lost, dup)
	}
	t.Logf("%d SIGKILLs of the central store; %d cases at the central store (%d reported before the kill), each stored once in the gateway and answered once; 0 lost, 0 duplicated",
		rounds, len(truth), len(reported))
}

// answerAll assigns and answers every received case until ctx ends.
func answerAll(ctx context.Context, g *gateway) error {
	for ctx.Err() == nil {
		received, err := g.svc.List(ctx, distributor, cases.Filter{Status: []cases.Status{cases.Received}, Limit: cases.MaxListLimit})
		if err != nil {
			return err
		}
		for _, c := range received {
			if _, err := g.svc.Do(ctx, distributor, c.ID, cases.Command{Action: cases.Assign, Assignee: clinician.HSAID}); err != nil {
				return err
			}
			if _, err := g.svc.Do(ctx, clinician, c.ID, cases.Command{Action: cases.SendAnswer, Text: answerText, Signature: signature, AuthorTitle: authorTitle}); err != nil {
				return err
			}
			g.up.Kick()
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond): // the worker's pace, not synchronisation
		}
	}
	return nil
}

// centralCases opens the central store's file and returns each of the
// unit's cases with its number of staff answers.
func centralCases(t *testing.T, path string) map[string]int {
	t.Helper()
	st, err := central.Open(context.Background(), path, central.Options{Units: []string{unit}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string]int{}
	for _, pnr := range patients {
		pcs, err := st.PatientCases(context.Background(), pnr)
		if err != nil {
			t.Fatal(err)
		}
		for _, pc := range pcs {
			out[pc.ID] = pc.StaffMessages()
		}
	}
	return out
}
