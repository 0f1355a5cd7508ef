package store

import (
	"bufio"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
