package main

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"runtime/debug"
	"testing"

	"clinicgw/agent"
)

// TestRunSetsMemoryLimit: `clinicgw run` sets the process's soft memory
// limit from runtime.memory_limit (its default when left out, none for
// "off"), and with a limit the collector's GOGC to gcPercentWithLimit,
// both read back from the runtime; GOMEMLIMIT and GOGC in the
// environment win over the configuration.
func TestRunSetsMemoryLimit(t *testing.T) {
	before, gogc := debug.SetMemoryLimit(-1), debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetMemoryLimit(before); debug.SetGCPercent(gogc) })
	dir := filepath.Join(t.TempDir(), "gw")
	if code, _, stderr := clinicgw(t, "init", "--dir", dir, "--unit", "SE2321000016-15ZM", "--name", "Vårdcentralen Exempel"); code != exitOK {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	cfgPath := filepath.Join(dir, "clinicgw.toml")
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
		p := debug.SetGCPercent(123)
		return debug.SetMemoryLimit(-1), p
	}
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("GOGC", "")
	for _, tc := range []struct {
		limit string
		want  int64
		gogc  int
	}{
		{"", 64 << 20, gcPercentWithLimit},
		{"48MiB", 48 << 20, gcPercentWithLimit},
		{"1GiB", 1 << 30, gcPercentWithLimit},
		{"off", math.MaxInt64, 123},
	} {
		if got, gogc := runWith(tc.limit); got != tc.want || gogc != tc.gogc {
			t.Errorf("memory_limit %q: the running process's limit is %d and GOGC %d, want %d and %d", tc.limit, got, gogc, tc.want, tc.gogc)
		}
	}
	t.Setenv("GOGC", "100") // as the runtime read it at start
	if got, gogc := runWith("48MiB"); got != 48<<20 || gogc != 123 {
		t.Errorf("with GOGC set, memory_limit \"48MiB\": limit %d, GOGC %d; want 48 MiB and GOGC untouched", got, gogc)
	}
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "100MiB") // as the runtime read it at start
	if got, gogc := runWith("48MiB"); got != math.MaxInt64-1 || gogc != 123 {
		t.Errorf("with GOMEMLIMIT set, memory_limit \"48MiB\" changed the limit to %d, GOGC to %d; GOMEMLIMIT wins and leaves GOGC", got, gogc)
	}
}
