//go:build linux

package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupRestoreBinary: the built clinicgw binary backs up a gateway
// that the built binary runs (`clinicgw run`, another process), through
// its admin listener; restore refuses while it runs; once it is stopped
// (Ctrl-C), restore puts the backup in place and store check passes.
func TestBackupRestoreBinary(t *testing.T) {
	bin := buildClinicgw(t)
	cfg := backupGateway(t, true)
	clinicgwBin := func(args ...string) (int, string) {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		code := 0
		if ee != nil {
			code = ee.ExitCode()
		}
		return code, string(out)
	}
	g := startInGroup(t, exec.Command(bin, "run", "--config", cfg.Path()))
	g.waitFor(t, "Stop with Ctrl-C")
	backup := filepath.Join(t.TempDir(), "b.db")
	if code, out := clinicgwBin("backup", "--config", cfg.Path(), "--out", backup); code != 0 || !strings.Contains(out, "from the running gateway") {
		t.Fatalf("backup of the running gateway: exit %d:\n%s", code, out)
	}
	if code, out := clinicgwBin("restore", "--config", cfg.Path(), "--from", backup); code != 1 || !strings.Contains(out, "the gateway is running") {
		t.Errorf("restore onto the running gateway: exit %d:\n%s", code, out)
	}
	g.interrupt(t)
	if err := g.wait(t); err != nil {
		t.Fatalf("run: %v\n%s", err, g.out.String())
	}
	if code, out := clinicgwBin("restore", "--config", cfg.Path(), "--from", backup); code != 0 || !strings.Contains(out, "kept as") {
		t.Fatalf("restore: exit %d:\n%s", code, out)
	}
	if code, out := clinicgwBin("store", "check", "--config", cfg.Path()); code != 0 {
		t.Fatalf("store check after the restore: exit %d:\n%s", code, out)
	}
}
