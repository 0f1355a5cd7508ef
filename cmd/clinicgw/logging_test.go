package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"clinicgw/agent"
)

// TestLogFormat: --log-format json, or log.format = "json" in the
// configuration, makes every line of the technical log one JSON object
// with a static message; the flag beats the configuration; a bad value is
// a usage error.
func TestLogFormat(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gw")
	if code, _, stderr := clinicgw(t, "init", "--dir", dir, "--unit", "SE2321000016-15ZM", "--name", "Vårdcentralen Exempel"); code != exitOK {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	cfgPath := filepath.Join(dir, "clinicgw.toml")
	runOnce := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		out := &cancelOnWrite{marker: "Stop with Ctrl-C", cancel: cancel}
		var errOut bytes.Buffer
		if code := run(ctx, append(args, "run", "--config", cfgPath), out, &errOut); code != exitOK {
			t.Fatalf("run %v: exit %d: %s", args, code, errOut.String())
		}
		return errOut.String()
	}
	jsonLines := func(name, log string) {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(log), "\n")
		if len(lines) < 2 {
			t.Fatalf("%s: %d log lines:\n%s", name, len(lines), log)
		}
		for _, l := range lines {
			var rec map[string]any
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatalf("%s: not a JSON line: %q", name, l)
			}
			if rec["msg"] == "" || rec["level"] == "" || rec["time"] == "" {
				t.Errorf("%s: %q lacks msg, level or time", name, l)
			}
		}
		if !strings.Contains(log, `"msg":"gateway stopped"`) {
			t.Errorf("%s: no stop record:\n%s", name, log)
		}
	}
	jsonLines("--log-format json", runOnce("--log-format", "json"))
	if log := runOnce(); !strings.Contains(log, `msg="gateway stopped"`) {
		t.Errorf("the default is not text:\n%s", log)
	}

	cfg, err := agent.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Log = agent.LogConfig{Format: "json", Level: "warn"}
	if err := cfg.Write(cfgPath); err != nil {
		t.Fatal(err)
	}
	log := runOnce()
	if strings.Contains(log, "gateway stopped") || !strings.Contains(log, `"level":"WARN"`) {
		t.Errorf("log.format json, level warn: an info record, or no warning:\n%s", log)
	}
	if log := runOnce("--log-format=text"); !strings.Contains(log, "level=WARN") || strings.Contains(log, "{") {
		t.Errorf("--log-format=text does not beat the configuration:\n%s", log)
	}

	for _, args := range [][]string{{"--log-format", "xml", "version"}, {"--log-format"}} {
		if code, _, stderr := clinicgw(t, args...); code != exitUsage || !strings.Contains(stderr, "--log-format") {
			t.Errorf("%v: exit %d, %q; want a usage error naming --log-format", args, code, stderr)
		}
	}
}
