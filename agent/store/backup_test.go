package store

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
)

func setCursor(t testing.TB, db *DB, c uint64) {
	t.Helper()
	if err := db.Update(ctx, func(tx cases.Tx) error { return tx.SetSyncCursor(c) }); err != nil {
		t.Fatal(err)
	}
}

// caseIDs lists the store's cases.
func caseIDs(t testing.TB, path string, kek KEK) []cases.ID {
	t.Helper()
	db, err := Open(ctx, path, kek, Options{Unit: testUnit})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ids []cases.ID
	err = db.View(ctx, func(tx cases.ReadTx) error {
		return tx.Cases(func(c *cases.Case) bool { ids = append(ids, c.ID); return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestBackupWhileWriting: a backup of an open store taken while another
// goroutine commits cases one by one is a sound store (Check passes) whose
// manifest matches it, holding a prefix of what was written.
func TestBackupWhileWriting(t *testing.T) {
	db, dir := testStore(t)
	kek := fixtureKEKFrom(t, dir)
	for i := range 200 {
		insert(t, db, newCase(i, text2k))
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var written atomic.Int64
	underWay := make(chan struct{})
	signal := sync.OnceFunc(func() { close(underWay) })
	wg.Go(func() {
		defer signal() // also when the writer fails early
		for i := 200; !stop.Load(); i++ {
			// The case, its access-log record and the cursor in one
			// transaction, as the sync stores a page.
			c := newCase(i, text2k)
			err := db.Update(ctx, func(tx cases.Tx) error {
				if err := tx.Insert(c); err != nil {
					return err
				}
				if err := tx.AppendAudit(audit.Entry{Time: c.ReceivedAt, Actor: "system", Unit: testUnit,
					Action: string(cases.Receive), CaseID: string(c.ID), Outcome: audit.Allowed}); err != nil {
					return err
				}
				return tx.SetSyncCursor(uint64(i))
			})
			if err != nil {
				t.Error(err)
				return
			}
			if written.Add(1) == 20 {
				signal()
			}
		}
	})
	<-underWay // the writer is under way before the copy starts
	out := filepath.Join(t.TempDir(), "b.db")
	var reported []int64
	m, err := WriteBackup(out, func(w io.Writer) (Manifest, error) {
		return db.Backup(ctx, w, nil, func(done, _ int64) { reported = append(reported, done) })
	})
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if after := written.Load(); after < 21 {
		t.Logf("writes during the copy: %d", after-20)
	}
	if len(reported) == 0 || reported[len(reported)-1] != m.Size {
		t.Errorf("progress %v does not end at the size %d", reported, m.Size)
	}
	got, err := ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if got != m || m.Unit != testUnit || m.SyncCursor < 200 {
		t.Errorf("manifest read back %+v, written %+v", got, m)
	}
	rep, err := Check(ctx, out, kek, Options{Unit: testUnit}, nil)
	if err != nil {
		t.Fatalf("the backup does not check: %v", err)
	}
	ids := caseIDs(t, out, kek)
	if uint64(len(ids)) != m.SyncCursor+1 || rep.Audit.Entries != m.AuditSeq || m.AuditSeq != uint64(len(ids)) {
		t.Errorf("backup holds %d cases and %d access-log records; manifest: cursor %d, access log %d", len(ids), rep.Audit.Entries, m.SyncCursor, m.AuditSeq)
	}
}

func fixtureKEKFrom(t testing.TB, dir string) KEK {
	t.Helper()
	kek, err := LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	return kek
}

// backupOf backs up the open store to a new file and returns its path.
func backupOf(t *testing.T, db *DB) (string, Manifest) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "backup.db")
	m, err := WriteBackup(out, func(w io.Writer) (Manifest, error) { return db.Backup(ctx, w, nil, nil) })
	if err != nil {
		t.Fatal(err)
	}
	return out, m
}

// TestRestoreAfterDestruction: backup, keep working, destroy the store,
// restore: the store is the backup's (its cases, its sync cursor), its
// access log goes on from the backup's with one system record of the
// restore, and the destroyed file is kept aside.
func TestRestoreAfterDestruction(t *testing.T) {
	db, dir := testStore(t)
	kek := fixtureKEKFrom(t, dir)
	path := filepath.Join(dir, "store.db")
	for i := range 10 {
		insert(t, db, newCase(i, text2k))
	}
	setCursor(t, db, 7)
	backup, m := backupOf(t, db)
	for i := 10; i < 15; i++ {
		insert(t, db, newCase(i, text2k))
	}
	setCursor(t, db, 12)
	db.Close()
	junk := bytes.Repeat([]byte("destroyed "), 10000)
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := Restore(ctx, path, backup, kek, Options{Unit: testUnit, Clock: clocktest.New(t0)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if aside, err := os.ReadFile(rep.Aside); err != nil || !bytes.Equal(aside, junk) {
		t.Errorf("the destroyed store is not kept aside at %q: %v", rep.Aside, err)
	}
	if ids := caseIDs(t, path, kek); len(ids) != 10 {
		t.Errorf("restored store holds %d cases, the backup 10", len(ids))
	}
	if c, err := SyncCursorOf(path); err != nil || c != 7 {
		t.Errorf("restored sync cursor %d (%v), the backup's is 7", c, err)
	}
	crep, err := Check(ctx, path, kek, Options{Unit: testUnit}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if crep.Audit.Entries != m.AuditSeq+1 {
		t.Errorf("access log has %d records, the backup %d: want one more", crep.Audit.Entries, m.AuditSeq)
	}
	db2, err := Open(ctx, path, kek, Options{Unit: testUnit})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	var last audit.Record
	err = db2.View(ctx, func(tx cases.ReadTx) error {
		return tx.AuditByActor("system", func(r audit.Record) bool { last = r; return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	if last.Entry.Action != string(cases.RestoreBackup) || last.Entry.Actor != "system" || !last.Entry.Time.Equal(t0) {
		t.Errorf("last access-log record %+v, want the restore by the system", last.Entry)
	}
	if rf, ok, err := db2.RestoredFrom(); err != nil || !ok || !rf.Backup.TakenAt.Equal(m.TakenAt) || rf.Backup.SHA256 != m.SHA256 {
		t.Errorf("RestoredFrom = %+v, %v, %v; want the backup %+v", rf, ok, err, m)
	}
}

// TestRestoreRefuses: each bad backup or situation is a clear error, and
// the store in place is exactly as it was, with nothing left beside it.
func TestRestoreRefuses(t *testing.T) {
	db, dir := testStore(t)
	for i := range 5 {
		insert(t, db, newCase(i, text2k))
	}
	good, _ := backupOf(t, db)
	// Another unit's store, of the same KEK.
	otherDir := t.TempDir()
	other := func() string {
		kek := fixtureKEKFrom(t, dir)
		odb, err := Open(ctx, filepath.Join(otherDir, "store.db"), kek, Options{Unit: "SE2321000016-OTHR"})
		if err != nil {
			t.Fatal(err)
		}
		defer odb.Close()
		p := filepath.Join(t.TempDir(), "other.db")
		if _, err := WriteBackup(p, func(w io.Writer) (Manifest, error) { return odb.Backup(ctx, w, nil, nil) }); err != nil {
			t.Fatal(err)
		}
		return p
	}()
	copyBackup := func(t *testing.T, change func(data, manifest []byte) ([]byte, []byte)) string {
		data, _ := os.ReadFile(good)
		man, _ := os.ReadFile(good + ManifestSuffix)
		data, man = change(data, man)
		p := filepath.Join(t.TempDir(), "b.db")
		os.WriteFile(p, data, 0o600)
		if man != nil {
			os.WriteFile(p+ManifestSuffix, man, 0o600)
		}
		return p
	}
	otherKEK := filepath.Join(t.TempDir(), "other.key")
	if err := GenerateKeyFile(otherKEK, rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	okek, err := LoadKeyFile(otherKEK)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "store.db")
	tests := []struct {
		name    string
		from    func(t *testing.T) string
		kek     KEK
		running bool
		want    string
		is      error
	}{
		{name: "another unit", from: func(*testing.T) string { return other }, want: `is of care unit "SE2321000016-OTHR"`},
		{name: "another KEK", from: func(*testing.T) string { return good }, kek: okek, is: ErrWrongKey},
		{name: "truncated", from: func(t *testing.T) string {
			return copyBackup(t, func(d, m []byte) ([]byte, []byte) { return d[:len(d)/2], m })
		}, want: "damaged or truncated"},
		{name: "no manifest", from: func(t *testing.T) string {
			return copyBackup(t, func(d, m []byte) ([]byte, []byte) { return d, nil })
		}, want: "has no manifest"},
		{name: "manifest of another copy", from: func(t *testing.T) string {
			return copyBackup(t, func(d, m []byte) ([]byte, []byte) {
				d = bytes.Clone(d)
				d[len(d)-100] ^= 1
				return d, m
			})
		}, want: "damaged or truncated"},
		{name: "onto a running gateway", from: func(*testing.T) string { return good }, running: true, is: ErrInUse},
	}
	db.Close()
	before, _ := os.ReadFile(path)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kek := tt.kek
			if kek == nil {
				kek = fixtureKEKFrom(t, dir)
			}
			if tt.running {
				running := openAt(t, dir)
				defer running.Close()
			}
			_, err := Restore(ctx, path, tt.from(t), kek, Options{Unit: testUnit, LockTimeout: 100_000_000}, nil)
			switch {
			case err == nil:
				t.Fatal("restored")
			case tt.is != nil && !errors.Is(err, tt.is):
				t.Errorf("error %v, want %v", err, tt.is)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("error %q lacks %q", err, tt.want)
			}
			t.Logf("%s: %v", tt.name, err)
			if after, _ := os.ReadFile(path); !bytes.Equal(after, before) && !tt.running {
				t.Error("the store in place changed")
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != "store.db" && e.Name() != "kek.key" {
					t.Errorf("left beside the store: %s", e.Name())
				}
			}
		})
	}
}

// TestBackupRefusesExistingPath: neither a backup's path nor its manifest
// is ever replaced.
func TestBackupRefusesExistingPath(t *testing.T) {
	db, _ := testStore(t)
	for _, existing := range []string{"", ManifestSuffix} {
		out := filepath.Join(t.TempDir(), "b.db")
		os.WriteFile(out+existing, []byte("keep me"), 0o600)
		_, err := WriteBackup(out, func(w io.Writer) (Manifest, error) { return db.Backup(ctx, w, nil, nil) })
		if err == nil || !strings.Contains(err.Error(), "exists already") {
			t.Errorf("backup over an existing %q: %v", out+existing, err)
		}
		if got, _ := os.ReadFile(out + existing); string(got) != "keep me" {
			t.Errorf("%s replaced", out+existing)
		}
	}
}

// TestBackupFileOfClosedStore: a store no process has open is backed up
// from its file; an open one is ErrInUse.
func TestBackupFileOfClosedStore(t *testing.T) {
	db, dir := testStore(t)
	insert(t, db, newCase(1, text2k))
	path := filepath.Join(dir, "store.db")
	var buf bytes.Buffer
	if _, err := BackupFile(ctx, path, &buf, Options{Unit: testUnit, LockTimeout: 100_000_000}, nil); !errors.Is(err, ErrInUse) {
		t.Errorf("backup of an open store's file: %v, want ErrInUse", err)
	}
	db.Close()
	out := filepath.Join(t.TempDir(), "b.db")
	m, err := WriteBackup(out, func(w io.Writer) (Manifest, error) {
		return BackupFile(ctx, path, w, Options{Unit: testUnit}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Check(ctx, out, fixtureKEKFrom(t, dir), Options{Unit: testUnit}, nil); err != nil || m.AuditSeq != 1 {
		t.Errorf("backup of the closed store: %v, %+v", err, m)
	}
}
