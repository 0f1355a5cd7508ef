package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// backupUnit is the unit of the backup tests' gateway.
const backupUnit = "SE2321000016-15ZM"

// backupGateway makes a gateway folder with init, with an admin listener
// on a free loopback port when admin is set, and returns its configuration.
func backupGateway(t *testing.T, admin bool) *agent.Config {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "gw")
	if code, _, stderr := clinicgw(t, "init", "--dir", dir, "--unit", backupUnit, "--name", "Vårdcentralen Exempel"); code != exitOK {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	path := filepath.Join(dir, "clinicgw.toml")
	cfg, err := agent.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if admin {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Admin.Listen = ln.Addr().String()
		ln.Close()
		if err := cfg.Write(path); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

// startGateway runs the gateway of cfg in this process.
func startGateway(t *testing.T, cfg *agent.Config) *agent.Agent {
	t.Helper()
	a, err := agent.New(cfg, agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Stop() })
	return a
}

// addCase stores case number n as the sync does: the case, its access-log
// record and the sync cursor n, in one transaction.
func addCase(ctx context.Context, db *store.DB, n int) error {
	now := time.Now()
	id, err := caseid.New(now, nil)
	if err != nil {
		return err
	}
	pnr := personnummer.Synthetic(time.Date(1950+n%50, time.Month(1+n%12), 1+n%28, 0, 0, 0, 0, time.UTC), 980+n%20)
	c := &cases.Case{ID: id, Unit: backupUnit, Type: casetype.All[n%len(casetype.All)], Status: cases.Received,
		Patient: cases.Person{PNR: pnr, Name: "Test Testsson"}, ReceivedAt: now, DueAt: now.Add(48 * time.Hour),
		Messages: []cases.Message{{ID: "m1", Kind: cases.FromPatient, Author: "patient", Text: strings.Repeat("Ont i halsen. ", 100), At: now}}}
	return db.Update(ctx, func(tx cases.Tx) error {
		if err := tx.Insert(c); err != nil {
			return err
		}
		if err := tx.AppendAudit(audit.Entry{Time: now, Actor: "system", Unit: backupUnit, Action: string(cases.Receive),
			CaseID: string(id), Patient: string(pnr), Outcome: audit.Allowed}); err != nil {
			return err
		}
		return tx.SetSyncCursor(uint64(n))
	})
}

// storeState is what a store holds: its case ids and sync cursor.
type storeState struct {
	ids    []cases.ID
	cursor uint64
}

func stateOf(t *testing.T, cfg *agent.Config, path string) storeState {
	t.Helper()
	kek, err := store.LoadKeyFile(cfg.KeyFilePath())
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), path, kek, store.Options{Unit: backupUnit})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var st storeState
	err = db.View(context.Background(), func(tx cases.ReadTx) error {
		var err error
		if st.cursor, err = tx.SyncCursor(); err != nil {
			return err
		}
		return tx.Cases(func(c *cases.Case) bool { st.ids = append(st.ids, c.ID); return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// besideStore lists the store folder's files other than init's and the
// store itself.
func besideStore(t *testing.T, cfg *agent.Config) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(cfg.StorePath()))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		switch e.Name() {
		case "clinicgw.toml", "kek.key", "store.db", "forms.json", "backup.token": // backup.token: the running admin listener's (agent.BackupTokenPath)
		default:
			out = append(out, e.Name())
		}
	}
	return out
}

// TestBackupRestoreGateway: a backup of a running gateway while writes go
// on opens and checks; restore refuses while the gateway runs; after more
// work and the store's destruction, restore brings back exactly the
// backup's state, records itself in the access log, keeps the destroyed
// file aside, and the gateway starts on it.
func TestBackupRestoreGateway(t *testing.T) {
	cfg := backupGateway(t, true)
	ctx := context.Background()
	a := startGateway(t, cfg)
	for n := 1; n <= 50; n++ {
		if err := addCase(ctx, a.Store(), n); err != nil {
			t.Fatal(err)
		}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Go(func() {
		for n := 51; !stop.Load(); n++ {
			if err := addCase(ctx, a.Store(), n); err != nil {
				t.Error(err)
				return
			}
			writes.Add(1)
		}
	})
	out := filepath.Join(t.TempDir(), "nightly", "gw.db")
	os.MkdirAll(filepath.Dir(out), 0o700)
	code, stdout, stderr := clinicgw(t, "backup", "--config", cfg.Path(), "--out", out)
	duringBackup := writes.Load()
	stop.Store(true)
	wg.Wait()
	if code != exitOK {
		t.Fatalf("backup of the running gateway: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "from the running gateway") || !strings.Contains(stderr, "backup: ") {
		t.Errorf("backup output:\n%s\nstderr:\n%s", stdout, stderr)
	}
	m, err := store.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("backup at cursor %d; %d writes went on while it ran, %d in all", m.SyncCursor, duringBackup, writes.Load())
	kek, _ := store.LoadKeyFile(cfg.KeyFilePath())
	if _, err := store.Check(ctx, out, kek, store.Options{Unit: backupUnit}, nil); err != nil {
		t.Fatalf("the running gateway's backup does not check: %v", err)
	}
	backupState := stateOf(t, cfg, out)
	if backupState.cursor != m.SyncCursor || uint64(len(backupState.ids)) != m.SyncCursor || m.AuditSeq != m.SyncCursor {
		t.Errorf("backup holds %d cases at cursor %d; manifest: cursor %d, access log %d", len(backupState.ids), backupState.cursor, m.SyncCursor, m.AuditSeq)
	}

	// Restore onto the running gateway: refused, nothing replaced.
	code, _, stderr = clinicgw(t, "restore", "--config", cfg.Path(), "--from", out)
	if code != exitFailure || !strings.Contains(stderr, "the gateway is running") || !strings.Contains(stderr, "nothing was replaced") {
		t.Errorf("restore onto the running gateway: exit %d: %s", code, stderr)
	}
	if b := besideStore(t, cfg); len(b) > 0 {
		t.Errorf("left beside the store: %v", b)
	}
	// Keep working, then lose the store.
	for n := int(m.SyncCursor) + 1000; n < int(m.SyncCursor)+1020; n++ {
		if err := addCase(ctx, a.Store(), n); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	if after := stateOf(t, cfg, cfg.StorePath()); len(after.ids) <= len(backupState.ids) {
		t.Fatalf("no work after the backup: %d cases, the backup %d", len(after.ids), len(backupState.ids))
	}
	junk := bytes.Repeat([]byte{0xde, 0xad}, 40000)
	if err := os.WriteFile(cfg.StorePath(), junk, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = clinicgw(t, "restore", "--config", cfg.Path(), "--from", out)
	if code != exitOK {
		t.Fatalf("restore: exit %d: %s", code, stderr)
	}
	t.Logf("restore: %s", stdout)
	if got := stateOf(t, cfg, cfg.StorePath()); got.cursor != backupState.cursor || !slices.Equal(got.ids, backupState.ids) {
		t.Errorf("restored store: %d cases at cursor %d; the backup: %d at %d", len(got.ids), got.cursor, len(backupState.ids), backupState.cursor)
	}
	aside := besideStore(t, cfg)
	if len(aside) != 1 || !strings.HasPrefix(aside[0], "store.db.replaced-") {
		t.Fatalf("beside the restored store: %v, want the replaced store", aside)
	}
	if b, _ := os.ReadFile(filepath.Join(filepath.Dir(cfg.StorePath()), aside[0])); !bytes.Equal(b, junk) {
		t.Error("the store kept aside is not the one that was replaced")
	}
	code, stdout, stderr = clinicgw(t, "store", "check", "--config", cfg.Path())
	if code != exitOK || !strings.Contains(stdout, "is sound") {
		t.Fatalf("store check after the restore: exit %d: %s%s", code, stdout, stderr)
	}
	// The gateway starts on it; the access log ends with the restore.
	a = startGateway(t, cfg)
	var last audit.Record
	err = a.Store().View(ctx, func(tx cases.ReadTx) error {
		return tx.AuditByActor("system", func(r audit.Record) bool { last = r; return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	if last.Entry.Action != string(cases.RestoreBackup) || last.Seq != m.AuditSeq+1 {
		t.Errorf("access log ends with %d %+v; want the restore right after the backup's %d records", last.Seq, last.Entry, m.AuditSeq)
	}
	a.Stop()

	// A backup path that exists is refused, and left as it was.
	before, _ := os.ReadFile(out)
	code, _, stderr = clinicgw(t, "backup", "--config", cfg.Path(), "--out", out)
	if code != exitFailure || !strings.Contains(stderr, "exists already") {
		t.Errorf("backup over an existing file: exit %d: %s", code, stderr)
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(after, before) {
		t.Error("the existing backup changed")
	}
	// With the gateway stopped the command copies the file itself.
	code, stdout, stderr = clinicgw(t, "backup", "--config", cfg.Path(), "--out", out+"2")
	if code != exitOK || !strings.Contains(stdout, "from the store file") {
		t.Errorf("backup of a stopped gateway: exit %d: %s%s", code, stdout, stderr)
	}
}

// TestRestoreRefusesBadBackup: a backup of another unit, one sealed with
// another KEK, a truncated one, and a restore onto a gateway running
// without an admin listener (the store's lock) are each refused with a
// clear error, the store in place byte for byte as it was and nothing left
// beside it. A backup of that running gateway is refused too, saying why.
func TestRestoreRefusesBadBackup(t *testing.T) {
	cfg := backupGateway(t, false)
	ctx := context.Background()
	a := startGateway(t, cfg)
	for n := 1; n <= 5; n++ {
		if err := addCase(ctx, a.Store(), n); err != nil {
			t.Fatal(err)
		}
	}
	a.Stop()
	good := filepath.Join(t.TempDir(), "good.db")
	if code, _, stderr := clinicgw(t, "backup", "--config", cfg.Path(), "--out", good); code != exitOK {
		t.Fatalf("backup: exit %d: %s", code, stderr)
	}
	// Another unit's gateway, and one of this unit with its own KEK.
	backupOf := func(unit string) string {
		dir := filepath.Join(t.TempDir(), "gw")
		if code, _, stderr := clinicgw(t, "init", "--dir", dir, "--unit", unit, "--name", "Annan"); code != exitOK {
			t.Fatalf("init: exit %d: %s", code, stderr)
		}
		ocfg, err := agent.LoadConfig(filepath.Join(dir, "clinicgw.toml"))
		if err != nil {
			t.Fatal(err)
		}
		startGateway(t, ocfg).Stop()
		p := filepath.Join(t.TempDir(), "b.db")
		if code, _, stderr := clinicgw(t, "backup", "--config", ocfg.Path(), "--out", p); code != exitOK {
			t.Fatalf("backup: exit %d: %s", code, stderr)
		}
		return p
	}
	otherUnit := backupOf("SE2321000016-99ZZ")
	otherKEK := backupOf(backupUnit)
	truncated := filepath.Join(t.TempDir(), "t.db")
	data, _ := os.ReadFile(good)
	os.WriteFile(truncated, data[:len(data)-4096], 0o600)
	man, _ := os.ReadFile(good + store.ManifestSuffix)
	os.WriteFile(truncated+store.ManifestSuffix, man, 0o600)

	before, _ := os.ReadFile(cfg.StorePath())
	tests := []struct {
		name    string
		from    string
		running bool
		want    string
	}{
		{"another unit", otherUnit, false, `is of care unit "SE2321000016-99ZZ"`},
		{"another KEK", otherKEK, false, "the key-encryption key does not open this store"},
		{"truncated", truncated, false, "damaged or truncated"},
		{"onto a running gateway", good, true, "in use by another clinicgw process: stop the service first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.running {
				a := startGateway(t, cfg)
				defer a.Stop()
				out := filepath.Join(t.TempDir(), "b.db")
				code, _, stderr := clinicgw(t, "backup", "--config", cfg.Path(), "--out", out)
				if code != exitFailure || !strings.Contains(stderr, "without an admin listener") {
					t.Errorf("backup of a gateway running without [admin]: exit %d: %s", code, stderr)
				}
				if _, err := os.Stat(out); err == nil {
					t.Error("a backup file was left")
				}
			}
			code, _, stderr := clinicgw(t, "restore", "--config", cfg.Path(), "--from", tt.from)
			t.Logf("%s: %s", tt.name, strings.TrimSpace(stderr))
			if code != exitFailure || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr lacks %q:\n%s", code, tt.want, stderr)
			}
			if !tt.running {
				if after, _ := os.ReadFile(cfg.StorePath()); !bytes.Equal(after, before) {
					t.Error("the store in place changed")
				}
			}
			if b := besideStore(t, cfg); len(b) > 0 {
				t.Errorf("left beside the store: %v", b)
			}
		})
	}
}
