package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/catalog"
)

// clinicgw runs the command line in-process and returns its exit status
// and output.
func clinicgw(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stdout string // substring expected on stdout
		stderr string // substring expected on stderr
	}{
		{args: nil, code: exitUsage, stderr: "Commands:"},
		{args: []string{"help"}, code: exitOK, stdout: "keys rotate"},
		{args: []string{"--help"}, code: exitOK, stdout: "audit verify"},
		{args: []string{"help", "init"}, code: exitOK, stdout: "--unit HSAID"},
		{args: []string{"init", "--help"}, code: exitOK, stdout: "--force"},
		{args: []string{"keys", "rotate", "-h"}, code: exitOK, stdout: "--config FILE"},
		{args: []string{"keys"}, code: exitUsage, stderr: "keys list"},
		{args: []string{"frobnicate"}, code: exitUsage, stderr: `unknown command "frobnicate"`},
		{args: []string{"keys", "frob"}, code: exitUsage, stderr: "clinicgw keys help"},
		{args: []string{"stats", "--bogus"}, code: exitUsage, stderr: "flag provided but not defined"},
		{args: []string{"stats"}, code: exitUsage, stderr: "--config is required"},
		{args: []string{"stats", "--config", "x.toml", "--from", "2025-02-30"}, code: exitUsage, stderr: "--from"},
		{args: []string{"stats", "--config", "x.toml", "--recount", "--rebuild"}, code: exitUsage, stderr: "one at a time"},
		{args: []string{"stats", "--config", "x.toml", "--recount", "--from", "2025-02-01"}, code: exitUsage, stderr: "take no period"},
		{args: []string{"version", "extra"}, code: exitUsage, stderr: `unexpected argument "extra"`},
		{args: []string{"init", "--dir", "x", "--unit", "SE23-1", "--name", "X"}, code: exitUsage, stderr: "unit.hsa_id"},
		{args: []string{"demo", "--cases", "0"}, code: exitUsage, stderr: "--cases"},
		{args: []string{"audit", "verify", "--config", "/nonexistent/clinicgw.toml"}, code: exitFailure, stderr: "no such file"},
		{args: []string{"version"}, code: exitOK, stdout: "clinicgw dev"},
		{args: []string{"bridge"}, code: exitUsage, stderr: "--gateway and --ca are required"},
		{args: []string{"bridge", "--gateway", "https://gw.example:8443", "--ca", "/nonexistent/ca.pem"}, code: exitFailure, stderr: "ca.pem"},
		{args: []string{"run"}, code: exitUsage, stderr: "--config is required"},
		{args: []string{"run", "--config", "/nonexistent/clinicgw.toml"}, code: exitFailure, stderr: "no such file"},
		{args: []string{"install"}, code: exitUsage, stderr: "--config is required"},
		{args: []string{"install", "--config", "/nonexistent/clinicgw.toml"}, code: exitFailure, stderr: "no such file"},
		{args: []string{"help"}, code: exitOK, stdout: "uninstall"},
		{args: []string{"help"}, code: exitOK, stdout: "store check"},
		{args: []string{"store", "check"}, code: exitUsage, stderr: "--config is required"},
		{args: []string{"help"}, code: exitOK, stdout: "restore"},
		{args: []string{"backup", "--out", "b.db"}, code: exitUsage, stderr: "--config is required"},
		{args: []string{"restore", "--from", "b.db"}, code: exitUsage, stderr: "--config is required"},
		{args: []string{"status", "extra"}, code: exitUsage, stderr: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := clinicgw(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout %q does not contain %q", stdout, tt.stdout)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.stderr)
			}
		})
	}
}

func TestInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gw")
	args := []string{"init", "--dir", dir, "--unit", "SE2321000016-15ZM", "--name", "Vårdcentralen Exempel"}

	code, stdout, stderr := clinicgw(t, args...)
	if code != exitOK {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"clinicgw.toml", "kek.key", "Next:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("init output does not mention %q:\n%s", want, stdout)
		}
	}
	for name, mode := range map[string]os.FileMode{"": 0o700, "clinicgw.toml": 0o640, "kek.key": 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", filepath.Join(dir, name), fi.Mode().Perm(), mode)
		}
	}
	key, _ := os.ReadFile(filepath.Join(dir, "kek.key"))

	// Again: refused, naming the file, and the key is untouched.
	code, _, stderr = clinicgw(t, args...)
	if code != exitFailure || !strings.Contains(stderr, filepath.Join(dir, "clinicgw.toml")) || !strings.Contains(stderr, "--force") {
		t.Fatalf("second init: exit %d, stderr %q; want a refusal naming the file", code, stderr)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "kek.key")); !bytes.Equal(again, key) {
		t.Fatal("a refused init changed the key file")
	}

	// With --force and no store yet: replaced.
	if code, _, stderr = clinicgw(t, append(args, "--force")...); code != exitOK {
		t.Fatalf("init --force: exit %d: %s", code, stderr)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "kek.key")); bytes.Equal(again, key) {
		t.Fatal("init --force kept the old key")
	}

	// Once a store exists, not even --force replaces the key.
	if err := os.WriteFile(filepath.Join(dir, "store.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = clinicgw(t, append(args, "--force")...)
	if code != exitFailure || !strings.Contains(stderr, "store.db") {
		t.Fatalf("init --force beside a store: exit %d, stderr %q; want a refusal", code, stderr)
	}
}

// pnrLike matches anything shaped like a personnummer, with or without
// separator.
var pnrLike = regexp.MustCompile(`\b(19|20)?\d{6}[-+]?\d{4}\b`)

func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo writes a store; skipped with -short")
	}
	dir := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := clinicgw(t, "demo", "--dir", dir, "--cases", "40", "--live", "5", "--once", "--web", "127.0.0.1:0",
		"--ui", "127.0.0.1:0", "--bridge", "127.0.0.1:0", "--cards", "127.0.0.1:0", "--admin", "127.0.0.1:0")
	if code != exitOK {
		t.Fatalf("demo: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, want := range []string{"received", "handling time, median", "access log OK:", "waiting-for-patient",
		"Gateway running, syncing with it over mutual TLS", "All 5 arrived", "All 5 answers are with the patients",
		fmt.Sprintf("New today: %d cases, one on each of the unit's forms", len(catalog.Templates()))} {
		if !strings.Contains(stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, stdout)
		}
	}
	for _, typ := range demoTypes { // the built-in types and services beyond them
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(string(typ)) + ` +[1-9]`).MatchString(stdout) {
			t.Errorf("demo seeded no case of type %s:\n%s", typ, stdout)
		}
	}
	// Nothing about a patient in the log or the output.
	if n := strings.Count(stdout, "is in the gateway's encrypted store"); n != 5 {
		t.Errorf("%d live cases shown arriving, want 5:\n%s", n, stdout)
	}
	for name, text := range map[string]string{"stderr": stderr, "stdout": stdout} {
		if strings.Contains(text, "Testperson") || strings.Contains(text, "Testförälder") || strings.Contains(text, "Livepatient") || pnrLike.MatchString(text) {
			t.Errorf("%s holds patient data:\n%s", name, text)
		}
	}

	// Nor in the gateway's store file as it lies on disk (DP1, LG3).
	raw, err := os.ReadFile(filepath.Join(dir, "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, canary := range []string{"Testperson", "Testförälder", "Livepatient"} {
		if strings.Contains(string(raw), canary) {
			t.Errorf("the store file holds %q in clear", canary)
		}
	}
	if m := pnrLike.Find(raw); m != nil {
		t.Errorf("the store file holds a personnummer in clear: %q", m)
	}

	// The other commands work on the demo's folder.
	cfg := filepath.Join(dir, "clinicgw.toml")
	code, stdout, stderr = clinicgw(t, "audit", "verify", "--config", cfg)
	if code != exitOK || !regexp.MustCompile(`access log OK: [1-9]\d* entries, head [0-9a-f]{64}`).MatchString(stdout) {
		t.Errorf("audit verify: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, stderr = clinicgw(t, "stats", "--config", cfg)
	newToday := len(catalog.Templates()) // one case on each of the demo unit's forms
	if code != exitOK || !regexp.MustCompile(fmt.Sprintf(`(?m)^  received +%d$`, 45+newToday)).MatchString(stdout) ||
		!regexp.MustCompile(fmt.Sprintf(`(?m)^  received +%d$`, newToday)).MatchString(stdout) { // 40 + 5 live + the new, which wait unassigned
		t.Errorf("stats: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	code, stdout, stderr = clinicgw(t, "keys", "rotate", "--config", cfg)
	if code != exitOK || !strings.Contains(stdout, "key term 2 is active") {
		t.Errorf("keys rotate: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, stderr = clinicgw(t, "keys", "list", "--config", cfg)
	if code != exitOK || !regexp.MustCompile(`(?m)^1 .*readable$`).MatchString(stdout) || !regexp.MustCompile(`(?m)^2 .*active$`).MatchString(stdout) {
		t.Errorf("keys list: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	code, stdout, stderr = clinicgw(t, "keys", "retire", "--config", cfg)
	if code != exitOK || !regexp.MustCompile(`resealed \d+ of \d+ values`).MatchString(stdout) || !strings.Contains(stdout, "key terms retired: [1]; store compacted") {
		t.Errorf("keys retire: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	code, stdout, stderr = clinicgw(t, "keys", "list", "--config", cfg)
	if code != exitOK || !regexp.MustCompile(`(?m)^1 .*retired$`).MatchString(stdout) {
		t.Errorf("keys list after retire: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	code, stdout, stderr = clinicgw(t, "audit", "verify", "--config", cfg)
	if code != exitOK {
		t.Errorf("audit verify after retire: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	// The archive export: cases answered or closed more than a day ago
	// (the demo's history spans three weeks) go into verified packages.
	conf, err := agent.LoadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	conf.Archive = agent.ArchiveConfig{Dir: "arkiv", AgeDays: 1}
	if err := conf.Write(cfg); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = clinicgw(t, "archive", "run", "--config", cfg)
	m := regexp.MustCompile(`(\d+) packages, (\d+) cases, .* cases/s, .* MB/s\); key terms retired: \[\d+( \d+)*\]`).FindStringSubmatch(stdout)
	if code != exitOK || m == nil || m[2] == "0" || !strings.Contains(stdout, "store compacted") {
		t.Fatalf("archive run: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	pkgs, _ := filepath.Glob(filepath.Join(dir, "arkiv", "*.tar"))
	if len(pkgs) == 0 {
		t.Fatal("no package in the archive folder")
	}
	code, stdout, stderr = clinicgw(t, "archive", "verify", "--ca", filepath.Join(dir, "pki", "root.pem"), pkgs[0])
	if code != exitOK || !strings.Contains(stdout, " OK: unit "+demoUnit) {
		t.Errorf("archive verify: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	b, _ := os.ReadFile(pkgs[0])
	b[len(b)/2] ^= 1
	bad := filepath.Join(t.TempDir(), "bad.tar")
	os.WriteFile(bad, b, 0o600)
	if code, _, stderr = clinicgw(t, "archive", "verify", bad); code != exitFailure || !strings.Contains(stderr, "does not verify") {
		t.Errorf("archive verify of a changed package: exit %d, stderr %q", code, stderr)
	}
	code, stdout, stderr = clinicgw(t, "audit", "verify", "--config", cfg)
	if code != exitOK {
		t.Errorf("audit verify after the archive: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	t.Logf("archive: %s", strings.TrimSpace(m[0]))

	// The statistics' aggregates followed every change, the archive's
	// purge and the key retirement's reseal included; counted again, they
	// are the same.
	for _, args := range [][]string{{"--recount"}, {"--rebuild"}, {"--recount"}} {
		code, stdout, stderr = clinicgw(t, append([]string{"stats", "--config", cfg}, args...)...)
		if code != exitOK || !strings.Contains(stdout, "statistics' aggregates") {
			t.Errorf("stats %s: exit %d, stdout %q, stderr %q", args[0], code, stdout, stderr)
		}
	}

	// A second demo in the same folder is refused.
	if code, _, stderr = clinicgw(t, "demo", "--dir", dir); code != exitFailure || !strings.Contains(stderr, "not empty") {
		t.Errorf("demo in a used folder: exit %d, stderr %q", code, stderr)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in    string
		count int
		want  string
	}{
		{"0s", 0, "-"},
		{"0s", 1, "0m"},
		{"45m", 1, "45m"},
		{"3h20m", 1, "3h 20m"},
		{"28h", 1, "1d 4h"},
		{"49h59m59s", 1, "2d 2h"},
	}
	for _, tt := range tests {
		d, err := time.ParseDuration(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := duration(d, tt.count); got != tt.want {
			t.Errorf("duration(%s, %d) = %q, want %q", tt.in, tt.count, got, tt.want)
		}
	}
}

// cancelOnWrite cancels a context when something containing marker is
// written to it: a command's own output says when it is up.
type cancelOnWrite struct {
	bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if strings.Contains(w.String(), w.marker) {
		w.cancel()
	}
	return n, err
}

// TestInitThenRun: a folder made by init runs as it is (offline, with the
// default forms written beside it) and stops cleanly on Ctrl-C; a second
// run finds its store again.
func TestInitThenRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gw")
	if code, _, stderr := clinicgw(t, "init", "--dir", dir, "--unit", "SE2321000016-15ZM", "--name", "Vårdcentralen Exempel"); code != exitOK {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	forms, err := os.Open(filepath.Join(dir, "forms.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer forms.Close()
	if set, err := wire.DecodeFormSet(forms); err != nil || len(set.Forms) != len(casetype.All) {
		t.Fatalf("forms.json: %d forms, %v; want one per case type", len(set.Forms), err)
	}
	for range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		out := &cancelOnWrite{marker: "Stop with Ctrl-C", cancel: cancel}
		var errOut bytes.Buffer
		code := run(ctx, []string{"run", "--config", filepath.Join(dir, "clinicgw.toml")}, out, &errOut)
		cancel()
		if code != exitOK {
			t.Fatalf("run: exit %d: %s", code, errOut.String())
		}
		for _, want := range []string{"running for Vårdcentralen Exempel", "offline", "store.db"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("run output lacks %q:\n%s", want, out.String())
			}
		}
		if !strings.Contains(errOut.String(), "gateway stopped") {
			t.Errorf("run did not log its stop:\n%s", errOut.String())
		}
	}
}

type fakeRecounter []string

func (f fakeRecounter) RecountStats(context.Context) ([]string, error) { return f, nil }

// TestStatsRecountDiffers: aggregates that differ from the recount are a
// failure (exit 1), with what differs and how to rebuild.
func TestStatsRecountDiffers(t *testing.T) {
	var out bytes.Buffer
	e := &env{stdout: &out, stderr: io.Discard}
	err := statsRecount(t.Context(), e, fakeRecounter{"received 2026-03-02, type contact-me, status received: kept 3, recount 4"})
	if err == nil || !strings.Contains(err.Error(), "clinicgw stats --rebuild") || !strings.Contains(out.String(), "kept 3, recount 4") {
		t.Errorf("differing aggregates: err %v, stdout %q", err, out.String())
	}
	out.Reset()
	if err := statsRecount(t.Context(), e, fakeRecounter{}); err != nil || !strings.Contains(out.String(), "equal a full recount") {
		t.Errorf("equal aggregates: err %v, stdout %q", err, out.String())
	}
}
