package main

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"clinicgw/agent"
)

// TestRunSetsMemoryLimit: `clinicgw run` sets the process's soft memory
// limit from runtime.memory_limit (its default when left out, none for
// "off"), read back from the runtime, and leaves GOGC as it is;
// GOMEMLIMIT in the environment wins over the configuration.
func TestRunSetsMemoryLimit(t *testing.T) {
	before, gogc := debug.SetMemoryLimit(-1), debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetMemoryLimit(before); debug.SetGCPercent(gogc) })
	dir := filepath.Join(t.TempDir(), "gw")
	if code, _, stderr := clinicgw(t, "init", "--dir", dir, "--unit", "SE2321000016-15ZM", "--name", "Vårdcentralen Exempel"); code != exitOK {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	cfgPath := filepath.Join(dir, "clinicgw.toml")
	var logged string // the last run's log
	runWith := func(limit string) (int64, int) {
		t.Helper()
		cfg, err := agent.LoadConfig(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Runtime.MemoryLimit = limit
		if err := cfg.Write(cfgPath); err != nil {
			t.Fatal(err)
		}
		debug.SetMemoryLimit(math.MaxInt64 - 1) // values none of the cases sets
		debug.SetGCPercent(123)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var errOut bytes.Buffer
		if code := run(ctx, []string{"run", "--config", cfgPath}, &cancelOnWrite{marker: "Stop with Ctrl-C", cancel: cancel}, &errOut); code != exitOK {
			t.Fatalf("run with memory_limit %q: exit %d: %s", limit, code, errOut.String())
		}
		logged = errOut.String()
		p := debug.SetGCPercent(123)
		return debug.SetMemoryLimit(-1), p
	}
	t.Setenv("GOMEMLIMIT", "")
	for _, tc := range []struct {
		limit string
		want  int64
	}{
		{"", math.MaxInt64}, // the default: none
		{"64MiB", 64 << 20},
		{"48MiB", 48 << 20},
		{"1GiB", 1 << 30},
		{"off", math.MaxInt64},
	} {
		if got, gogc := runWith(tc.limit); got != tc.want || gogc != 123 {
			t.Errorf("memory_limit %q: the running process's limit is %d and GOGC %d, want %d and GOGC left at 123", tc.limit, got, gogc, tc.want)
		}
		// The log says what was set: none, not the runtime's stand-in for it.
		if none := tc.want == math.MaxInt64; strings.Contains(logged, "9223372036854775807") || none != strings.Contains(logged, "no memory limit") {
			t.Errorf("memory_limit %q: the log says %q", tc.limit, memoryLine(logged))
		}
	}
	t.Setenv("GOMEMLIMIT", "100MiB") // as the runtime read it at start
	if got, gogc := runWith("48MiB"); got != math.MaxInt64-1 || gogc != 123 {
		t.Errorf("with GOMEMLIMIT set, memory_limit \"48MiB\" changed the limit to %d, GOGC to %d; GOMEMLIMIT wins and leaves GOGC", got, gogc)
	}
}

// memoryLine is the line of log that names the memory limit, or all of it.
func memoryLine(log string) string {
	for line := range strings.Lines(log) {
		if strings.Contains(line, "memory limit") {
			return line
		}
	}
	return log
}
