package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"clinicgw/agent/store"
)

// TestSealingKeyCommands: keys list shows the sealing keys, keys rotate
// --sealing makes a new current one and keeps the old one opening, keys
// retire --sealing destroys an old one and refuses the current one.
func TestSealingKeyCommands(t *testing.T) {
	const unit = "SE2321000016-15ZM"
	dir := filepath.Join(t.TempDir(), "gw")
	if code, _, stderr := clinicgw(t, "init", "--dir", dir, "--unit", unit, "--name", "Vårdcentralen Exempel"); code != exitOK {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	cfg := filepath.Join(dir, "clinicgw.toml")
	kek, err := store.LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "store.db"), kek, store.Options{Unit: unit})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, stdout, stderr := clinicgw(t, "keys", "list", "--config", cfg)
	if code != exitOK || !strings.Contains(stdout, "no sealing key yet") {
		t.Fatalf("keys list before the first start: exit %d\n%s%s", code, stdout, stderr)
	}
	db, err = store.Open(context.Background(), filepath.Join(dir, "store.db"), kek, store.Options{Unit: unit})
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := db.EnsureSealingKey(context.Background()) // as the gateway's first start does
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	row := func(id, state string) *regexp.Regexp {
		return regexp.MustCompile(`(?m)^` + id + ` .* ` + state + `$`)
	}
	code, stdout, stderr = clinicgw(t, "keys", "rotate", "--sealing", "--config", cfg)
	m := regexp.MustCompile(`^sealing key ([0-9a-f]{32}) is current`).FindStringSubmatch(stdout)
	if code != exitOK || m == nil {
		t.Fatalf("keys rotate --sealing: exit %d\n%s%s", code, stdout, stderr)
	}
	second := m[1]
	code, stdout, _ = clinicgw(t, "keys", "list", "--config", cfg)
	if code != exitOK || !row(first.ID.String(), "opens").MatchString(stdout) || !row(second, "current").MatchString(stdout) ||
		!regexp.MustCompile(`(?m)^1 .*active$`).MatchString(stdout) {
		t.Fatalf("keys list after rotation:\n%s", stdout)
	}
	if code, _, stderr = clinicgw(t, "keys", "retire", "--sealing", second, "--config", cfg); code != exitFailure || !strings.Contains(stderr, "rotate first") {
		t.Errorf("retiring the current sealing key: exit %d, %s", code, stderr)
	}
	if code, _, _ = clinicgw(t, "keys", "retire", "--sealing", "not-an-id", "--config", cfg); code != exitUsage {
		t.Errorf("a malformed key id: exit %d", code)
	}
	code, stdout, stderr = clinicgw(t, "keys", "retire", "--sealing", first.ID.String(), "--config", cfg)
	if code != exitOK || !strings.Contains(stdout, "retired") || !strings.Contains(stdout, "store compacted") {
		t.Fatalf("keys retire --sealing: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = clinicgw(t, "keys", "list", "--config", cfg)
	if code != exitOK || !row(first.ID.String(), "retired").MatchString(stdout) || !row(second, "current").MatchString(stdout) {
		t.Fatalf("keys list after retirement:\n%s", stdout)
	}
}
