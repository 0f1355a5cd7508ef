//go:build linux

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"clinicgw/sync/logtest"
)

// demoTestArgs are a small demo on free loopback ports.
var demoTestArgs = []string{"--cases", "30", "--live", "2", "--web", "127.0.0.1:0", "--ui", "127.0.0.1:0",
	"--bridge", "127.0.0.1:0", "--cards", "127.0.0.1:0", "--admin", "127.0.0.1:0"}

var (
	demoDirRE = regexp.MustCompile(`(?m)^Demo clinic .* in (/\S+)$`)
	// A technical log line, text or JSON, of any level.
	logLineRE = regexp.MustCompile(`(?m)^(time=\S+ level=|\{"time":)`)
	// A log line below WARN: what the console must not show.
	infoLineRE = regexp.MustCompile(`(?m)^time=\S+ level=(INFO|DEBUG)`)
)

// buildClinicgw builds the clinicgw binary into a temporary folder.
func buildClinicgw(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "clinicgw")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// groupRun is a command started as a terminal starts a foreground job:
// in a process group of its own, which Ctrl-C signals as a whole.
type groupRun struct {
	cmd  *exec.Cmd
	out  logtest.Buffer
	done chan struct{} // closed when the command has ended; err is then set
	err  error
}

func startInGroup(t *testing.T, cmd *exec.Cmd) *groupRun {
	t.Helper()
	g := &groupRun{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &g.out, &g.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		g.err = cmd.Wait()
		close(g.done)
	}()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // what is left of the group, if anything
		<-g.done
	})
	return g
}

// interrupt sends SIGINT to the whole group, as Ctrl-C in a terminal does.
func (g *groupRun) interrupt(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-g.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
}

// wait returns the command's exit error, or fails after 3 minutes.
func (g *groupRun) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-g.done:
		return g.err
	case <-time.After(3 * time.Minute):
		t.Fatalf("still running after 3 minutes:\n%s", g.out.String())
		return nil
	}
}

// waitFor polls the output until it holds want; fails if the command
// ends first or 3 minutes pass.
func (g *groupRun) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(3 * time.Minute)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(g.out.String(), want) {
		select {
		case <-g.done:
			if strings.Contains(g.out.String(), want) {
				return
			}
			t.Fatalf("ended (%v) without %q in the output:\n%s", g.err, want, g.out.String())
		case <-deadline:
			t.Fatalf("no %q in the output within 3 minutes:\n%s", want, g.out.String())
		case <-tick.C:
		}
	}
}

// checkConsole: the story only, no technical log line below WARN, and it
// says where the log is.
func checkConsole(t *testing.T, out, logPath string) {
	t.Helper()
	if m := infoLineRE.FindAllString(out, -1); len(m) > 0 {
		t.Errorf("the console shows %d INFO/DEBUG log lines; want the story only:\n%s", len(m), out)
	}
	if !strings.Contains(out, logPath) {
		t.Errorf("the output does not say where the log is (%s):\n%s", logPath, out)
	}
}

// checkLogFile: the technical log is in the demo folder, INFO lines and all.
func checkLogFile(t *testing.T, logPath string) {
	t.Helper()
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("the demo's log: %v", err)
	}
	if n := len(logLineRE.FindAllString(string(b), -1)); n < 10 || !infoLineRE.Match(b) {
		t.Errorf("the demo's log %s holds %d log lines, want its INFO lines:\n%.2000s", logPath, n, b)
	}
}

// TestDemoCtrlC is `clinicgw demo` in a terminal: the console shows the
// story (no INFO log lines) and where the log is, the log is in the demo's
// folder; Ctrl-C (SIGINT to the process group) stops it with exit 0 and
// removes the temporary folder it made.
func TestDemoCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo writes a store and SoftHSM2 tokens; skipped with -short")
	}
	bin := buildClinicgw(t)
	tmp := t.TempDir()
	cmd := exec.Command(bin, append([]string{"demo"}, demoTestArgs...)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	g := startInGroup(t, cmd)
	g.waitFor(t, "Stop with Ctrl-C.")
	m := demoDirRE.FindStringSubmatch(g.out.String())
	if m == nil || !strings.HasPrefix(m[1], tmp) {
		t.Fatalf("no temporary demo folder under %s named in the output:\n%s", tmp, g.out.String())
	}
	dir, logPath := m[1], filepath.Join(m[1], demoLogName)
	checkLogFile(t, logPath)

	g.interrupt(t)
	if err := g.wait(t); err != nil {
		t.Errorf("after Ctrl-C: %v; want exit 0\n%s", err, g.out.String())
	}
	out := g.out.String()
	checkConsole(t, out, logPath)
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary demo folder %s is still there after a clean stop (%v)", dir, err)
	}
	if !strings.Contains(out, "removed") {
		t.Errorf("the output does not say the folder was removed:\n%s", out)
	}
}

// TestDemoKeepsGivenDir: with --dir the folder is the user's: kept, with
// its log, and the output says so and how to remove it.
func TestDemoKeepsGivenDir(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo writes a store and SoftHSM2 tokens; skipped with -short")
	}
	bin := buildClinicgw(t)
	dir := filepath.Join(t.TempDir(), "my demo")
	cmd := exec.Command(bin, append([]string{"demo", "--once", "--dir", dir}, demoTestArgs...)...)
	g := startInGroup(t, cmd)
	if err := g.wait(t); err != nil {
		t.Fatalf("demo --once: %v\n%s", err, g.out.String())
	}
	out := g.out.String()
	logPath := filepath.Join(dir, demoLogName)
	checkConsole(t, out, logPath)
	checkLogFile(t, logPath)
	if _, err := os.Stat(filepath.Join(dir, "store.db")); err != nil {
		t.Errorf("the given folder lost its store: %v", err)
	}
	if want := "rm -rf '" + dir + "'"; !strings.Contains(out, want) {
		t.Errorf("the output does not say how to remove the kept folder (%s):\n%s", want, out)
	}
}

// TestMakeDemoCtrlC is `make demo` in a terminal and Ctrl-C: the terminal
// signals make's whole process group, make and the demo it runs. The
// demo stops cleanly and exits 0 and make reports no error (under `go
// run` it did: "Error 1", as the go command ends an interrupted run with
// status 1). GNU make then ends itself with the same SIGINT, as it does
// on every interrupt: the shell shows nothing, $? is 130.
func TestMakeDemoCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo writes a store and SoftHSM2 tokens; skipped with -short")
	}
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make is not installed")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// OUT: the binary make builds goes to this test's folder.
	cmd := exec.Command(mk, "-C", root, "demo", "OUT="+t.TempDir(), "DEMO_ARGS="+strings.Join(demoTestArgs, " "))
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	g := startInGroup(t, cmd)
	g.waitFor(t, "Stop with Ctrl-C.")
	g.interrupt(t)
	err = g.wait(t)
	out := g.out.String()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGINT:
		// make's own SIGINT, after its recipe ended well.
	default:
		t.Errorf("make demo after Ctrl-C: %v\n%s", err, out)
	}
	if strings.Contains(out, "make: ***") || strings.Contains(out, "exit status") {
		t.Errorf("make or go run reports an error after Ctrl-C:\n%s", out)
	}
	if m := infoLineRE.FindAllString(out, -1); len(m) > 0 {
		t.Errorf("make demo shows %d INFO log lines", len(m))
	}
}
