package agent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/store"
	"clinicgw/cardauth/devpki"
)

// TestReloadBackup: backup.dir, backup.keep and backup.keep_days apply at
// a reload (the next backup goes to the new folder); backup.at waits for
// a restart, as archive.at does.
func TestReloadBackup(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	g := startReloadGateway(t, p, func(dir string, cfg *agent.Config) {
		testPKI(t, dir, "pki", "SE2321000016-K201")
		os.WriteFile(filepath.Join(dir, "hsa.json"), []byte(directoryFile("SE2321000016-K201")), 0o644)
		cfg.Backup = agent.BackupConfig{Dir: "backups", Keep: 3}
	})
	dir := filepath.Dir(g.path)
	if got := g.a.BackupSettings(); got.Dir != filepath.Join(dir, "backups") || got.Keep != 3 {
		t.Fatalf("backup settings at the start: %+v", got)
	}
	g.edit(strings.NewReplacer(`dir = "backups"`, `dir = "backups2"`, "keep = 3", "keep = 5", "keep_days = 0", "keep_days = 9",
		`at = ""`+"\n# The newest", `at = "04:00"`+"\n# The newest").Replace(g.text))
	st := g.next("the edited file")
	if st.LastError != "" || fmt.Sprint(st.Restart) != "[backup.at]" {
		t.Fatalf("status after the edit: %+v (want backup.at waiting for a restart)", st)
	}
	if got := g.a.BackupSettings(); got.Dir != filepath.Join(dir, "backups2") || got.Keep != 5 || got.KeepDays != 9 || got.At != "" {
		t.Errorf("backup settings after the reload: %+v", got)
	}
	path, err := g.a.BackupNow(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(path) != filepath.Join(dir, "backups2") {
		t.Errorf("backup after the reload written to %s", path)
	}
	if _, err := store.ReadManifest(path); err != nil {
		t.Error(err)
	}
	if !strings.Contains(g.logs.String(), "applied=backup.dir,backup.keep,backup.keep_days") {
		t.Errorf("log lacks the applied keys:\n%s", g.logs)
	}
}
