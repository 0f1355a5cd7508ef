//go:build unix

package uplink

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"net"
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
	"clinicgw/sync/central"
	"clinicgw/sync/logtest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// The central store killed as a real process (FT3, the other side): a child
// process (this test binary, re-executed) opens the central store's file,
// serves its API on a fixed loopback address, reports that it is up, and
// then submits patients' cases one every 5 ms, reporting each after
// Submit has returned ("submitted ID MARKER"); a kill falls before, during
// or after a submission, so some are in doubt: committed or not, never
// reported. Each case's text carries a marker the
// test made (round and index), so a case is traced to the one submission
// it came from. The gateway runs in this process, with a worker that
// assigns and answers every case it receives and records each answer it
// sent. The parent SIGKILLs the central store 0–150 ms after it is up,
// whatever it is doing: serving a page, taking an ack, storing an answer.
// After the rounds one last central store runs until the gateway has
// caught up with its head and has answered everything.
//
// The model is the test's own record, not read back through the code
// under test: the markers it attempted, the ids the child reported, the
// answers the worker sent. Checked: every reported case is in the gateway
// with its marker; every case in the gateway carries a marker the test
// attempted, each marker at most once (no submission became two cases),
// and was received exactly once (one access-log receive entry) and
// answered exactly once by the worker; at the central store (observed,
// not trusted) every case is one the gateway holds and carries exactly
// the one answer the worker sent.
// CLINICGW_CENTRAL_KILL_ROUNDS sets the rounds (30 by default).

const (
	centralChildEnv  = "CLINICGW_CENTRAL_KILL_CHILD"  // the central store's file
	centralAddrEnv   = "CLINICGW_CENTRAL_KILL_ADDR"   // where it serves
	centralSubmitEnv = "CLINICGW_CENTRAL_KILL_SUBMIT" // cases to submit at start
	centralRoundEnv  = "CLINICGW_CENTRAL_KILL_ROUND"  // the round, for the markers
	centralEarlyEnv  = "CLINICGW_CENTRAL_KILL_EARLY"  // cases to submit before the API serves
	centralFromEnv   = "CLINICGW_CENTRAL_KILL_FROM"   // the index of the first of them
	centralWebEnv    = "CLINICGW_CENTRAL_KILL_WEB"    // where the patient pages serve, if set
)

// killMarker is the text of submission i of round r: the canary text and
// a marker the test can find the submission by.
func killMarker(r, i int) string { return fmt.Sprintf("markör-r%d-i%d", r, i) }

// TestCentralChild is the central store's process. Beside the submissions
// above it can submit cases before its API serves (centralEarlyEnv), serve
// the patient pages (centralWebEnv) and take commands on its standard
// input (TestCentralRestore's centralProc).
func TestCentralChild(t *testing.T) {
	path := os.Getenv(centralChildEnv)
	if path == "" {
		t.Skip("helper process for TestCentralKilled and TestCentralRestore")
	}
	n, _ := strconv.Atoi(os.Getenv(centralSubmitEnv))
	early, _ := strconv.Atoi(os.Getenv(centralEarlyEnv))
	from, _ := strconv.Atoi(os.Getenv(centralFromEnv))
	round, _ := strconv.Atoi(os.Getenv(centralRoundEnv))
	c := &centralSrv{t: t, path: path, notifier: &central.MemNotifier{}, logs: &logtest.Buffer{}}
	submit := func(i int) {
		marker := killMarker(round, i)
		id, err := c.store.Submit(context.Background(), unit, central.Submission{
			PatientPNR: patients[i%len(patients)], PatientName: patientName, FormID: string(casetype.AdviceNurse),
			Fields: []wire.Field{{Name: "question", Value: "Kanariefråga"}}, Text: caseText + " " + marker,
		})
		if err != nil {
			t.Fatalf("submit: %v", err)
		}
		os.Stdout.WriteString("submitted " + id + " " + marker + "\n")
	}
	c.openThen(os.Getenv(centralAddrEnv), func() { // before the API serves
		for i := range early {
			submit(from + i)
		}
	})
	if addr := os.Getenv(centralWebEnv); addr != "" {
		servePatientPages(t, c.store, addr)
	}
	os.Stdout.WriteString("ready\n")
	for i := range n {
		if i > 0 {
			time.Sleep(5 * time.Millisecond) // the patients' pace, not synchronisation
		}
		submit(from + early + i)
	}
	os.Stdout.WriteString("head " + strconv.FormatUint(c.head(), 10) + "\n")
	// Then the parent's commands, one a line, until its end of the pipe
	// closes: "submit I" (a patient's case, reported as above) and
	// "backup PATH" (a hot copy of the file, reported "backed up").
	cmds := bufio.NewScanner(os.Stdin)
	for cmds.Scan() {
		verb, arg, _ := strings.Cut(cmds.Text(), " ")
		switch verb {
		case "submit":
			i, err := strconv.Atoi(arg)
			if err != nil {
				t.Fatalf("command %q", cmds.Text())
			}
			submit(i)
		case "backup":
			if err := c.store.Backup(context.Background(), arg); err != nil {
				t.Fatalf("backup: %v", err)
			}
			os.Stdout.WriteString("backed up\n")
		default:
			t.Fatalf("unknown command %q", cmds.Text())
		}
	}
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
	answers := &answerLog{}
	go func() { workerDone <- answerAll(ctx, g, answers) }()
	defer func() {
		stopWorker()
		if err := <-workerDone; err != nil {
			t.Errorf("worker: %v", err)
		}
	}()

	attempted := map[string]bool{}  // markers the test had a child submit
	reported := map[string]string{} // case id → marker, reported after Submit returned
	var head uint64                 // the last child's head (a wait condition only)
	// runCentral starts a central store child for round and waits until it
	// is up; it returns the child and the rest of its output.
	runCentral := func(round, submit int) (*exec.Cmd, *bufio.Scanner) {
		for i := range submit {
			attempted[killMarker(round, i)] = true
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestCentralChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), centralChildEnv+"="+path, centralAddrEnv+"="+addr,
			centralSubmitEnv+"="+strconv.Itoa(submit), centralRoundEnv+"="+strconv.Itoa(round), pkiEnv+"="+pkiDir)
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
		}
		return cmd, lines
	}
	// record takes one line of a child's report; it says whether the line
	// was the head.
	record := func(line string) bool {
		if rest, ok := strings.CutPrefix(line, "submitted "); ok {
			id, marker, _ := strings.Cut(rest, " ")
			reported[id] = marker
		}
		h, ok := strings.CutPrefix(line, "head ")
		if ok {
			head, _ = strconv.ParseUint(h, 10, 64)
		}
		return ok
	}
	kill := func(cmd *exec.Cmd, lines *bufio.Scanner) {
		cmd.Process.Signal(syscall.SIGKILL)
		for lines.Scan() {
			record(lines.Text())
		}
		reapKilled(t, cmd, lines, "the central store")
	}
	for round := range rounds {
		cmd, lines := runCentral(round, 10)
		n, _ := rand.Int(rand.Reader, big.NewInt(150_000))
		time.Sleep(time.Duration(n.Int64()) * time.Microsecond) // the fault's timing, not synchronisation
		kill(cmd, lines)
	}

	// One last central store stays up until the gateway has pulled up to
	// its head and has answered everything it holds, and the outbox is
	// empty.
	cmd, lines := runCentral(rounds, 0)
	for lines.Scan() && !record(lines.Text()) {
	}
	waitFor(t, 60*time.Second, "the gateway at the central head, everything answered", func() bool {
		if g.up.Status().Cursor < head {
			return false
		}
		answered, err := countStatus(g.db, cases.Answered)
		return err == nil && answered == len(g.ids()) && g.pending() == 0
	})
	kill(cmd, lines)
	g.stop()
	stopWorker()
	if err := <-workerDone; err != nil {
		t.Fatalf("worker: %v", err)
	}
	workerDone <- nil // the deferred check reads it again

	// The model check, against the test's own record.
	receives := g.receives()
	markers := map[string]string{} // marker → the gateway's case
	stored := g.ids()
	for id := range stored {
		c, err := g.svc.Get(context.Background(), distributor, cases.ID(id))
		if err != nil {
			t.Fatal(err)
		}
		marker, ok := strings.CutPrefix(c.Messages[0].Text, caseText+" ")
		switch {
		case !ok || !attempted[marker]:
			t.Errorf("case %s in the gateway is no submission the test made (text %q)", id, c.Messages[0].Text)
		case markers[marker] != "":
			t.Errorf("submission %s became two cases in the gateway: %s and %s", marker, markers[marker], id)
		}
		markers[marker] = id
		if receives[id] != 1 {
			t.Errorf("case %s was received %d times, want exactly once", id, receives[id])
		}
		if n := answers.count(id); n != 1 {
			t.Errorf("case %s was answered %d times by the worker, want exactly once", id, n)
		}
	}
	lost := 0
	for id, marker := range reported {
		if markers[marker] != id {
			lost++
			t.Errorf("case %s (%s), reported submitted, is not in the gateway", id, marker)
		}
	}
	// The central store as it is on disk, observed: nothing there the
	// gateway lacks, and each answer the worker sent there exactly once.
	atCentral := centralCases(t, path)
	for id, n := range atCentral {
		if !stored[id] {
			lost++
			t.Errorf("case %s at the central store never reached the gateway", id)
		}
		if n != answers.count(id) || n != 1 {
			t.Errorf("case %s carries %d answers at the central store; the worker sent %d, want exactly 1", id, n, answers.count(id))
		}
	}
	for id := range stored {
		if _, ok := atCentral[id]; !ok {
			t.Errorf("case %s is in the gateway but not at the central store", id)
		}
	}
	// The kills must fall among the submissions: some reported, some not.
	if rounds >= 10 && (len(reported) == 0 || len(reported) == len(attempted)) {
		t.Errorf("%d of %d submissions reported: the kills did not fall among the submissions", len(reported), len(attempted))
	}
	t.Logf("%d SIGKILLs of the central store; %d submissions attempted, %d reported before the kill, %d cases in the gateway (%d in doubt were committed); %d lost, each received and answered exactly once",
		rounds, len(attempted), len(reported), len(stored), len(stored)-len(reported), lost)
}

// answerLog is the worker's own record of the answers it sent, by case.
type answerLog struct {
	mu sync.Mutex
	n  map[string]int
}

func (a *answerLog) add(id cases.ID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n == nil {
		a.n = map[string]int{}
	}
	a.n[string(id)]++
}

func (a *answerLog) count(id string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n[id]
}

// answerAll assigns and answers every received case until ctx ends,
// recording each answer it sent in log.
func answerAll(ctx context.Context, g *gateway, log *answerLog) error {
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
			log.add(c.ID)
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
