package store

import (
	"bufio"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startChild runs this test binary's test name in a child process with
// env set to dir, and returns it with the lines of its stdout.
func startChild(t *testing.T, name, env, dir string) (*exec.Cmd, *bufio.Scanner, io.ReadCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(stdout), stdout
}

// openInChild is a child process's test (startChild): it opens the store
// in the folder env names, logging to stdout, after "opening" and before
// "opened"; it is skipped when env is not set. setup runs first.
func openInChild(t *testing.T, env string, setup func()) {
	dir := os.Getenv(env)
	if dir == "" {
		t.Skip("helper process")
	}
	setup()
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelDebug}))
	os.Stdout.WriteString("opening\n")
	db, err := Open(ctx, filepath.Join(dir, "store.db"), mustKEK(t, dir), Options{Unit: testUnit, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	os.Stdout.WriteString("opened\n")
}

// killAfter runs this test binary's test name in a child process
// (startChild) and kills it (SIGKILL) a random 0–20 ms after it logged a
// line holding marker: the fault, in the middle of what it was doing. It
// fails if the child opened the store without logging one.
func killAfter(t *testing.T, name, env, dir, marker string) {
	t.Helper()
	cmd, lines, stdout := startChild(t, name, env, dir)
	seen := false
	for lines.Scan() {
		if strings.Contains(lines.Text(), marker) {
			seen = true
			break
		}
		if lines.Text() == "opened" {
			break
		}
	}
	if !seen {
		cmd.Wait()
		t.Fatalf("the child logged no %q: %q", marker, lines.Text())
	}
	time.Sleep(time.Duration(randN(20)) * time.Millisecond) // the fault, not a synchronisation
	cmd.Process.Kill()
	go io.Copy(io.Discard, stdout)
	cmd.Wait()
}
