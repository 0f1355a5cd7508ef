//go:build linux

package store

import (
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/powercut"
)

// The store's writer on a disk that loses power (agent/powercut): the
// crash test's child (writeCases) runs on the power-cut disk and the power
// goes at a random moment, a time or an exact operation; then the store is
// reopened from what the disk kept and must hold every acknowledged case,
// pass bbolt's check, and hold every batch whole or not at all. Every
// fifth round starts without a store file and cuts at one of the first
// operations in turn, so that creating it is cut too. The control runs inside the test: the same child with bbolt's
// NoSync must lose acknowledged cases, or the disk is not testing anything.
// CLINICGW_POWERCUT_ROUNDS sets the rounds (50 by default; `make soak`
// runs 1000).
func TestPowerCutLosesNoAcknowledgedCase(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	powercut.Require(t)
	rounds := powercut.Rounds(t, 50)
	backing := t.TempDir()
	data := filepath.Join(backing, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := GenerateKeyFile(filepath.Join(data, "kek.key"), rand.Reader, false); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	var total powercut.Stats
	acked := map[string]int{} // since the store was last created: case id → round
	ackedEver, cutMid, created := 0, 0, 0
	for round := range rounds {
		when := powercut.RandomWhen(round, 40*time.Millisecond, 400)
		if round%5 == 0 {
			// A new store, and a cut at each of the first operations in
			// turn (opening the key file, creating the file, writing its
			// first pages, syncing them, syncing the folder, the first
			// commits), every other one keeping the names.
			os.Remove(filepath.Join(data, "store.db"))
			clear(acked)
			when = powercut.When{Ops: 1 + (created/2)%16, KeepNames: created%2 == 1}
			created++
		}
		batches, lost, s := storeRound(t, backing, round, when, false, acked)
		if lost != 0 {
			t.Fatalf("round %d: %d acknowledged cases lost", round, lost)
		}
		ackedEver += len(batches.acked)
		if batches.mid {
			cutMid++
		}
		total.Writes += s.Writes
		total.FileSyncs += s.FileSyncs
		total.DirSyncs += s.DirSyncs
		total.PagesRestored += s.PagesRestored
		total.NamesRemoved += s.NamesRemoved
	}
	perRound := time.Since(start) / time.Duration(rounds)
	if ackedEver == 0 || total.Writes == 0 || total.FileSyncs == 0 || total.DirSyncs == 0 || total.PagesRestored == 0 {
		t.Fatalf("the rounds tested nothing: %d cases acknowledged, disk saw %+v", ackedEver, total)
	}
	t.Logf("%d power cuts (%d of them while the store was being created), %v a round: %d cases acknowledged, 0 lost; %d cuts between a batch's begin and its ack; the disk saw %d writes, %d file syncs, %d folder syncs and put back %d pages",
		rounds, created, perRound.Round(time.Millisecond), ackedEver, cutMid, total.Writes, total.FileSyncs, total.DirSyncs, total.PagesRestored)

	// The control: the same writer with NoSync, on a store the disk already
	// holds, must lose what it acknowledged.
	controlLost, controlAcked := 0, 0
	for round := range 5 {
		// Late enough for acks to have happened.
		batches, lost, _ := storeRound(t, backing, round, powercut.When{Ops: 200 + round*50}, true, acked)
		controlLost += lost
		controlAcked += len(batches.acked)
	}
	if controlLost == 0 {
		t.Fatalf("control: with NoSync, %d cases acknowledged and none lost: the power-cut disk does not test durability", controlAcked)
	}
	t.Logf("control with NoSync: %d of %d acknowledged cases lost", controlLost, controlAcked)
}

type roundBatches struct {
	acked []string
	mid   bool // the cut came between a batch's begin and its ack
}

// storeRound runs one writer on a fresh mount of backing, cuts at when,
// and checks what the disk kept against acked (updated with this round's
// acks). It returns how many acknowledged cases are missing; unless the
// writer ran with NoSync (the control) it fails the test on a store that
// does not open or check, or a partly stored batch.
func storeRound(t *testing.T, backing string, round int, when powercut.When, noSync bool, acked map[string]int) (roundBatches, int, powercut.Stats) {
	t.Helper()
	d := powercut.Mount(t, backing)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+d.Dir())
	if noSync {
		cmd.Env = append(cmd.Env, crashNoSyncEnv+"=1")
	}
	var rb roundBatches
	var begun [][]string
	d.RunChild(t, cmd, when, func(line string) {
		kind, rest, _ := strings.Cut(line, " ")
		ids := strings.Fields(rest)
		switch kind {
		case "begin":
			begun = append(begun, ids)
			rb.mid = true
		case "ack":
			for _, id := range ids {
				acked[id] = round
			}
			rb.acked = append(rb.acked, ids...)
			rb.mid = false
		}
	})
	d.Unmount(t)
	s := d.Stats()

	dir := d.Backing()
	if _, err := os.Stat(filepath.Join(dir, "store.db")); errors.Is(err, os.ErrNotExist) {
		if len(acked) != 0 {
			if !noSync {
				t.Errorf("round %d: the store file is gone after the cut, with %d acknowledged cases in it", round, len(acked))
			}
			return rb, len(acked), s
		}
		return rb, 0, s // cut before the store was created: nothing to check
	}
	db := openAt(t, dir)
	defer db.Close()
	if err := db.Check(ctx); err != nil && !noSync {
		t.Fatalf("round %d: bbolt check after the cut: %v", round, err)
	}
	lost := 0
	err := db.View(ctx, func(tx cases.ReadTx) error {
		for id := range acked {
			if _, err := tx.Case(cases.ID(id)); err != nil {
				lost++
				if !noSync {
					t.Errorf("round %d: acknowledged case %s (round %d): %v", round, id, acked[id], err)
				}
			}
		}
		for _, b := range begun[max(0, len(begun)-2):] {
			present := 0
			for _, id := range b {
				if _, err := tx.Case(cases.ID(id)); err == nil {
					present++
				}
			}
			if present != 0 && present != len(b) && !noSync {
				t.Errorf("round %d: batch of %d stored partly (%d)", round, len(b), present)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if round%10 == 9 && !noSync {
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatalf("round %d: access log after the cut: %v", round, err)
		}
	}
	if noSync {
		// What the control lost is gone for good: forget it, so that the
		// next control round counts its own losses.
		for id := range acked {
			if _, err := caseIn(db, id); err != nil {
				delete(acked, id)
			}
		}
	}
	return rb, lost, s
}

func caseIn(db *DB, id string) (*cases.Case, error) {
	var c *cases.Case
	err := db.View(ctx, func(tx cases.ReadTx) error {
		var err error
		c, err = tx.Case(cases.ID(id))
		return err
	})
	return c, err
}
