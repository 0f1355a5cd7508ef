package store

import (
	"bufio"
	"crypto/rand"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/caseid"
)

// The crash test runs a child process (this test binary, re-executed) that
// writes batches of cases as fast as it can and prints each batch's ids
// before the transaction ("begin") and after Update returned ("ack"). The
// parent kills it with SIGKILL at a random moment, reopens the store, runs
// bbolt's consistency check and demands: every acknowledged case is there
// and opens; every batch is there whole or not at all; the access log
// verifies. (The full checks of every case and of the access log run every
// 50 rounds and after the last; other rounds check recent cases and a
// random sample.) CLINICGW_CRASH_ROUNDS sets the number of rounds (100 by
// default; `make soak` runs 1000).

const crashChildEnv = "CLINICGW_CRASH_CHILD"

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("helper process for TestCrashLosesNoAcknowledgedCase and TestPowerCutLosesNoAcknowledgedCase")
	}
	writeCases(t, dir, os.Getenv(crashNoSyncEnv) == "1")
}

// crashNoSyncEnv, set to 1, makes the child write with bbolt's NoSync: the
// power-cut test's control, which must lose acknowledged cases.
const crashNoSyncEnv = "CLINICGW_CRASH_NOSYNC"

// writeCases opens the store in dir (creating it if missing) and writes
// batches of cases until it is killed, printing "ready", then each batch's
// ids before its transaction ("begin") and after Update returned ("ack").
func writeCases(t *testing.T, dir string, noSync bool) {
	kek, err := LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, filepath.Join(dir, "store.db"), kek, Options{Unit: testUnit})
	if err != nil {
		t.Fatal(err)
	}
	db.bolt.NoSync = noSync
	out := bufio.NewWriter(os.Stdout)
	out.WriteString("ready\n")
	out.Flush()
	for n := 0; ; n++ {
		size := 1 + n%7
		batch := make([]*cases.Case, size)
		ids := make([]string, size)
		for i := range batch {
			id, err := caseid.New(time.Now(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			c := newCase(n*7+i, text2k)
			c.ID = id
			batch[i], ids[i] = c, string(id)
		}
		out.WriteString("begin " + strings.Join(ids, " ") + "\n")
		out.Flush()
		err := db.Update(ctx, func(tx cases.Tx) error {
			for _, c := range batch {
				if err := tx.Insert(c); err != nil {
					return err
				}
				if err := tx.AppendAudit(audit.Entry{Time: time.Now(), Actor: "system", Unit: testUnit,
					Action: "receive", CaseID: string(c.ID), Patient: string(c.Patient.PNR), Outcome: audit.Allowed}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString("ack " + strings.Join(ids, " ") + "\n")
		out.Flush()
	}
}

func randN(n int64) int64 {
	v, err := rand.Int(rand.Reader, big.NewInt(n))
	if err != nil {
		panic(err)
	}
	return v.Int64()
}

func TestCrashLosesNoAcknowledgedCase(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	rounds := 100
	if s := os.Getenv("CLINICGW_CRASH_ROUNDS"); s != "" {
		var err error
		if rounds, err = strconv.Atoi(s); err != nil {
			t.Fatalf("CLINICGW_CRASH_ROUNDS: %v", err)
		}
	}
	db, dir := testStore(t)
	db.Close()

	acked := map[string]int{} // case id → the round it was acknowledged in
	var batches [][]string    // every batch begun, acknowledged or not
	killedMidBatch := 0
	for round := range rounds {
		cmd, lines, _ := startChild(t, "TestCrashChild", crashChildEnv, dir)
		if !lines.Scan() || lines.Text() != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: child did not start: %q", round, lines.Text())
		}
		// The fault: SIGKILL 0–25 ms into the child's writing, wherever it is.
		timer := time.AfterFunc(time.Duration(randN(25_000))*time.Microsecond, func() {
			cmd.Process.Signal(syscall.SIGKILL)
		})
		last := ""
		for lines.Scan() {
			kind, rest, _ := strings.Cut(lines.Text(), " ")
			ids := strings.Fields(rest)
			switch kind {
			case "begin":
				batches = append(batches, ids)
			case "ack":
				for _, id := range ids {
					acked[id] = round
				}
			}
			last = kind
		}
		timer.Stop()
		err := cmd.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v, want SIGKILL", round, err)
		}
		if last == "begin" {
			killedMidBatch++
		}

		db := openAt(t, dir)
		if err := db.Check(ctx); err != nil {
			t.Fatalf("round %d: bbolt check: %v", round, err)
		}
		// Every acknowledged case is checked every 50 rounds and at the end;
		// in between, those of the last two rounds and a sample of the rest
		// (so that the soak's cost grows linearly with its rounds).
		full := round%50 == 49 || round == rounds-1
		err = db.View(ctx, func(tx cases.ReadTx) error {
			for id, r := range acked {
				if !full && r < round-1 && randN(int64(len(acked))) >= 200 {
					continue
				}
				if _, err := tx.Case(cases.ID(id)); err != nil {
					t.Errorf("round %d: acknowledged case %s: %v", round, id, err)
				}
			}
			for _, b := range batches[max(0, len(batches)-3):] {
				present := 0
				for _, id := range b {
					if _, err := tx.Case(cases.ID(id)); err == nil {
						present++
					}
				}
				if present != 0 && present != len(b) {
					t.Errorf("round %d: batch of %d stored partly (%d)", round, len(b), present)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if full {
			if _, err := db.VerifyAudit(ctx); err != nil {
				t.Fatalf("round %d: access log: %v", round, err)
			}
		}
		db.Close()
		if t.Failed() {
			return
		}
	}
	t.Logf("%d rounds, %d acknowledged cases, all present; %d kills landed between begin and ack", rounds, len(acked), killedMidBatch)
	if len(acked) == 0 {
		t.Fatal("no case was ever acknowledged: the kills came too early to test anything")
	}
	if rounds >= 20 && killedMidBatch == 0 {
		t.Fatal("no kill landed between a batch's begin and its ack: the test tried only idle moments")
	}
}
