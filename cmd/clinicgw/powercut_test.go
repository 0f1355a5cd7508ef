//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/powercut"
	"clinicgw/agent/store"
)

// `clinicgw init` on a disk that loses power (agent/powercut): a child
// process (this test binary) runs init into a new folder on the power-cut
// disk and prints "ack" when init has said it is done; the power goes at a
// random moment, a time or an exact operation. Then, from what the disk
// kept: after an acknowledged init the folder, the key file, the forms and
// the configuration are all there and whole; before it, each is either
// absent or whole (never empty, never half-written), and init run again
// (with --force if some of them survived, as its message says) completes.
// The control: with every fsync dropped the disk must lose an acknowledged
// init, or it is not testing anything. CLINICGW_POWERCUT_ROUNDS sets the
// rounds (50 by default; `make soak` runs 1000).

const initCutChildEnv = "CLINICGW_INIT_CUT_DIR"

func TestInitCutChild(t *testing.T) {
	dir := os.Getenv(initCutChildEnv)
	if dir == "" {
		t.Skip("helper process for TestPowerCutInit")
	}
	os.Stdout.WriteString("ready\n")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"init", "--dir", dir, "--unit", "SE2321000016-15ZM", "--name", "Vårdcentralen Exempel"}, &out, &errOut); code != exitOK {
		t.Fatalf("init: %d: %s", code, errOut.String())
	}
	os.Stdout.WriteString("ack\n")
}

// initState says what survived of an init in dir: how many of its files
// are there and whole; an error for one that is there but not whole.
func initState(dir string) (whole int, err error) {
	check := map[string]func(string) error{
		agent.ConfigFileName: func(p string) error { _, err := agent.LoadConfig(p); return err },
		"kek.key":            func(p string) error { _, err := store.LoadKeyFile(p); return err },
		formsFileName:        func(p string) error { _, err := agent.LoadForms(p); return err },
	}
	for name, ok := range check {
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := ok(p); err != nil {
			return whole, fmt.Errorf("%s is there but not whole: %w", name, err)
		}
		whole++
	}
	return whole, nil
}

func TestPowerCutInit(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	powercut.Require(t)
	rounds := powercut.Rounds(t, 50)
	backing := t.TempDir()
	start := time.Now()
	var total powercut.Stats
	acked, redone := 0, 0
	for round := range rounds {
		ok, whole, s := initRound(t, backing, round, false)
		total.Writes += s.Writes
		total.FileSyncs += s.FileSyncs
		total.DirSyncs += s.DirSyncs
		if ok {
			acked++
			if whole != 3 {
				t.Fatalf("round %d: init said it was done, but after the cut %d of its 3 files are there", round, whole)
			}
			continue
		}
		// Not acknowledged: init again, as the operator would.
		args := []string{"init", "--dir", filepath.Join(backing, "data", fmt.Sprintf("gw-%d", round)), "--unit", "SE2321000016-15ZM", "--name", "Vårdcentralen Exempel"}
		if whole > 0 {
			args = append(args, "--force")
		}
		if code, _, stderr := clinicgw(t, args...); code != exitOK {
			t.Fatalf("round %d: init again after the cut (%d files survived): %s", round, whole, stderr)
		}
		redone++
	}
	if acked == 0 || redone == 0 || total.DirSyncs == 0 || total.FileSyncs == 0 {
		t.Fatalf("the rounds tested too little: %d inits acknowledged, %d cut short; the disk saw %+v", acked, redone, total)
	}
	t.Logf("%d power cuts during init, %v a round: %d acknowledged inits all whole, %d cut short and done again; the disk saw %d writes, %d file syncs, %d folder syncs",
		rounds, (time.Since(start) / time.Duration(rounds)).Round(time.Millisecond), acked, redone, total.Writes, total.FileSyncs, total.DirSyncs)

	// The control: a cut after the child has finished, with every fsync
	// ignored, must lose the acknowledged init.
	ok, whole, _ := initRound(t, backing, rounds, true)
	if !ok || whole == 3 {
		t.Fatalf("control: with fsync ignored, init acknowledged %v and %d of its files survived: the power-cut disk does not test durability", ok, whole)
	}
	t.Logf("control with fsync ignored: an acknowledged init kept %d of its 3 files", whole)
}

// initRound runs init into gw-round on a fresh mount, cuts, and says
// whether init was acknowledged and how many of its files are whole.
func initRound(t *testing.T, backing string, round int, dropSyncs bool) (acked bool, whole int, s powercut.Stats) {
	t.Helper()
	d := powercut.Mount(t, backing)
	if dropSyncs {
		d.DropSyncs(nil)
	}
	gw := fmt.Sprintf("gw-%d", round)
	cmd := exec.Command(os.Args[0], "-test.run=^TestInitCutChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), initCutChildEnv+"="+filepath.Join(d.Dir(), gw))
	when := powercut.RandomWhen(round, 12*time.Millisecond, 40)
	if dropSyncs {
		when = powercut.When{} // the cut comes when the child is done
	}
	d.RunChild(t, cmd, when, func(line string) { acked = acked || line == "ack" })
	d.Unmount(t)
	whole, err := initState(filepath.Join(d.Backing(), gw))
	if err != nil {
		t.Fatalf("round %d (acknowledged %v): %v", round, acked, err)
	}
	return acked, whole, d.Stats()
}
