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

// startInGroup starts cmd as a terminal starts a foreground job: in a
// process group of its own, which Ctrl-C signals as a whole.
func startInGroup(t *testing.T, cmd *exec.Cmd) *lockedBuffer {
	t.Helper()
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			cmd.Wait()
		}
	})
	return &out
}

// waitFor polls out until it holds want, the process ends, or 3 minutes pass.
func waitFor(t *testing.T, cmd *exec.Cmd, out *lockedBuffer, want string) {
	t.Helper()
	exited := make(chan struct{})
	go func() {
		for cmd.ProcessState == nil && !strings.Contains(out.String(), want) {
			time.Sleep(50 * time.Millisecond)
		}
		close(exited)
	}()
	select {
	case <-exited:
	case <-time.After(3 * time.Minute):
	}
	if !strings.Contains(out.String(), want) {
		t.Fatalf("no %q in the output:\n%s", want, out.String())
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
	out := startInGroup(t, cmd)
	waitFor(t, cmd, out, "Stop with Ctrl-C.")
	m := demoDirRE.FindStringSubmatch(out.String())
	if m == nil || !strings.HasPrefix(m[1], tmp) {
		t.Fatalf("no temporary demo folder under %s named in the output:\n%s", tmp, out.String())
	}
	dir, logPath := m[1], filepath.Join(m[1], demoLogName)
	checkLogFile(t, logPath)

	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if err != nil {
		t.Errorf("after Ctrl-C: %v; want exit 0\n%s", err, out.String())
	}
	checkConsole(t, out.String(), logPath)
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary demo folder %s is still there after a clean stop (%v)", dir, err)
	}
	if !strings.Contains(out.String(), "removed") {
		t.Errorf("the output does not say the folder was removed:\n%s", out.String())
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
	out := startInGroup(t, cmd)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("demo --once: %v\n%s", err, out.String())
	}
	logPath := filepath.Join(dir, demoLogName)
	checkConsole(t, out.String(), logPath)
	checkLogFile(t, logPath)
	if _, err := os.Stat(filepath.Join(dir, "store.db")); err != nil {
		t.Errorf("the given folder lost its store: %v", err)
	}
	if want := "rm -rf '" + dir + "'"; !strings.Contains(out.String(), want) {
		t.Errorf("the output does not say how to remove the kept folder (%s):\n%s", want, out.String())
	}
}

// TestMakeDemoCtrlC is `make demo` in a terminal and Ctrl-C: the terminal
// signals make's whole process group, make, go run and the demo. The
// demo stops cleanly and exits 0, go run passes that on, and make reports
// no error (GNU make then ends itself with the same SIGINT, as it does on
// every interrupt: the shell shows nothing, $? is 130).
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
	cmd := exec.Command(mk, "-C", root, "demo", "DEMO_ARGS="+strings.Join(demoTestArgs, " "))
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	out := startInGroup(t, cmd)
	waitFor(t, cmd, out, "Stop with Ctrl-C.")
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGINT:
		// make's own SIGINT, after its recipe ended well.
	default:
		t.Errorf("make demo after Ctrl-C: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "make: ***") || strings.Contains(out.String(), "exit status") {
		t.Errorf("make or go run reports an error after Ctrl-C:\n%s", out.String())
	}
	if m := infoLineRE.FindAllString(out.String(), -1); len(m) > 0 {
		t.Errorf("make demo shows %d INFO log lines", len(m))
	}
}
