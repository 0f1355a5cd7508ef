//go:build linux

package powercut

import (
	"bufio"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// When says when a round cuts the power: Delay after the workload said
// "ready", or just before its Ops-th changing operation (counted from the
// start, its setup included), whichever comes first; zero means never.
type When struct {
	Delay time.Duration
	Ops   int
	// KeepNames: the cut keeps name changes and loses only unsynced data
	// (Disk.KeepNames).
	KeepNames bool
}

// RandomWhen picks a moment: every other round a time up to maxDelay,
// the others an operation up to maxOps, so that cuts land both wherever
// the clock says and at exact points between a write and its fsync.
// Every fourth round the cut keeps the names (KeepNames), so that a name
// pointing at data never synced is found too.
func RandomWhen(round int, maxDelay time.Duration, maxOps int) When {
	w := When{Ops: 1 + rand.IntN(maxOps), KeepNames: round%4 == 3}
	if round%2 == 0 {
		w = When{Delay: time.Duration(rand.Int64N(int64(maxDelay)))}
	}
	return w
}

// RunChild runs one round of a workload: it starts cmd (a child process
// whose stdout it reads), cuts the power at when, kills the child and
// waits for it. The child prints "ready" once it is set up; every line
// after that goes to onLine, those printed before the cut and those still
// in the pipe (a line printed before the cut is a fact about the disk
// before it). A child that ends by itself before the cut is cut after.
// It returns whether the cut came before the child ended by itself.
func (d *Disk) RunChild(t testing.TB, cmd *exec.Cmd, when When, onLine func(string)) (cutFirst bool) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if when.Ops > 0 {
		d.CutAfter(when.Ops)
	}
	if when.KeepNames {
		d.KeepNames()
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		select {
		case <-d.CutDone():
			cmd.Process.Kill()
		case <-exited:
		}
	}()
	// A workload that neither ends nor reaches its cut would hang the
	// test: cut it after a generous while and say so.
	watchdog := time.AfterFunc(2*time.Minute, func() {
		t.Errorf("the workload neither ended nor reached its cut (%+v) within 2 minutes", when)
		d.Cut()
	})
	defer watchdog.Stop()
	lines := bufio.NewScanner(out)
	lines.Buffer(make([]byte, 64<<10), 1<<20)
	var timer *time.Timer
	for lines.Scan() {
		if lines.Text() == "ready" && timer == nil {
			if when.Delay > 0 {
				timer = time.AfterFunc(when.Delay, d.Cut)
			}
			continue
		}
		onLine(lines.Text())
	}
	select {
	case <-d.CutDone():
		cutFirst = true
	default:
	}
	cmd.Wait() // killed, or failed on EIO, or done: the disk decides what survived, not the exit status
	close(exited)
	<-killed
	if timer != nil {
		timer.Stop()
	}
	d.Cut()
	return cutFirst
}

// RoundsEnv sets the number of power-cut rounds of every workload test
// (`make soak` runs 1000).
const RoundsEnv = "CLINICGW_POWERCUT_ROUNDS"

// Rounds returns the number of rounds to run: RoundsEnv if set, else def.
func Rounds(t testing.TB, def int) int {
	t.Helper()
	s := os.Getenv(RoundsEnv)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", RoundsEnv, s)
	}
	return n
}
