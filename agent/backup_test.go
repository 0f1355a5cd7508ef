package agent

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/sync/clock"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/workday"
)

// TestBackupNextRun: the nightly backup's next start for backup.at (and
// its default), in Stockholm time, from nextDaily as the archive's.
func TestBackupNextRun(t *testing.T) {
	loc := workday.Stockholm()
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, loc) }
	tests := []struct {
		name string
		at   string
		now  time.Time
		want time.Time
	}{
		{"default, before", "", at(2026, 5, 4, 1, 0), at(2026, 5, 4, 1, 30)},
		{"default, at it: the next night", "", at(2026, 5, 4, 1, 30), at(2026, 5, 5, 1, 30)},
		{"set, after", "23:15", at(2026, 5, 4, 23, 20), at(2026, 5, 5, 23, 15)},
		{"set, before", "23:15", at(2026, 12, 31, 22, 0), at(2026, 12, 31, 23, 15)},
		// 2026-03-29: 02:00 becomes 03:00; 02:10 does not exist.
		{"clocks forward", "02:10", at(2026, 3, 28, 12, 0), time.Date(2026, 3, 29, 1, 10, 0, 0, time.UTC)},
		// 2026-10-25: 02:10 comes twice: one run, at the second (CET).
		{"clocks back", "02:10", at(2026, 10, 24, 12, 0), time.Date(2026, 10, 25, 1, 10, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, m, err := BackupConfig{Dir: "b", At: tt.at}.Daily()
			if err != nil {
				t.Fatal(err)
			}
			if got := nextDaily(tt.now, h, m); !got.Equal(tt.want) {
				t.Errorf("next backup after %v = %v, want %v", tt.now, got, tt.want)
			}
		})
	}
}

// TestBackupRetention: which backups a night's run removes.
func TestBackupRetention(t *testing.T) {
	const u = "SE2321000016-15ZM"
	now := time.Date(2026, 12, 7, 0, 30, 0, 0, time.UTC)
	day := func(n int) string { return BackupName(u, now.Add(-time.Duration(n)*24*time.Hour)) }
	days := func(ns ...int) []string {
		var out []string
		for _, n := range ns {
			out = append(out, day(n))
		}
		return out
	}
	tests := []struct {
		name  string
		r     retention
		names []string
		want  []string
	}{
		{"fewer than keep", retention{keep: 7}, days(0, 1, 2), nil},
		{"keep by count", retention{keep: 3}, days(4, 0, 2, 1, 3), days(3, 4)},
		{"keep 0 keeps the newest", retention{keep: 0}, days(0, 1), days(1)},
		{"by age beyond the count", retention{keep: 2, days: 3}, days(0, 1, 2, 3, 4, 5), days(4, 5)},
		{"age alone never takes the newest few", retention{keep: 3, days: 1}, days(10, 20, 30, 40), days(40)},
		{"exactly keep_days old stays", retention{keep: 1, days: 2}, days(0, 2, 3), days(3)},
		{"other units' and other files are left alone", retention{keep: 1},
			append(days(0, 1), BackupName("SE2321000016-OTHR", now.Add(-72*time.Hour)), "notes.txt", day(2)+ManifestSuffixForTest, "clinicgw-backup-"+u+"-garbage.db"),
			days(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.r.prune(u, tt.names, now)
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("prune = %v, want %v", got, want)
			}
		})
	}
}

const ManifestSuffixForTest = store.ManifestSuffix

// TestBackupNightly: night after night (a fake clock) the schedule's run
// writes a backup with its manifest into backup.dir and removes what the
// retention lets go; each backup opens and checks.
func TestBackupNightly(t *testing.T) {
	const u = "SE2321000016-15ZM"
	dir := t.TempDir()
	ctx := context.Background()
	clock := clocktest.New(time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC))
	db, kek := openTestStore(t, dir, u, clock)
	cfg := DefaultConfig(u, "Vårdcentralen Exempel")
	cfg.Backup = BackupConfig{Dir: "backups", Keep: 3, KeepDays: 4}
	if err := cfg.Write(filepath.Join(dir, ConfigFileName)); err != nil { // backup.dir resolves against its folder
		t.Fatal(err)
	}
	s := &backupSchedule{db: db, unit: u, clock: clock, log: slog.New(slog.DiscardHandler)}
	s.set(cfg)
	for night := range 8 {
		if err := db.Update(ctx, func(tx cases.Tx) error { return tx.SetSyncCursor(uint64(night)) }); err != nil {
			t.Fatal(err)
		}
		path, err := s.once(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m, err := store.ReadManifest(path)
		if err != nil || m.SyncCursor != uint64(night) || !m.TakenAt.Equal(clock.Now()) {
			t.Fatalf("night %d: manifest %+v, %v", night, m, err)
		}
		clock.Advance(24 * time.Hour)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "backups"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// Nights 0..7; at night 7 the newest 3 (5, 6, 7) stay, and 3 and 4
	// (4 days old or less) stay too.
	var want []string
	for _, n := range []int{3, 4, 5, 6, 7} {
		b := BackupName(u, time.Date(2026, 12, 1+n, 0, 30, 0, 0, time.UTC))
		want = append(want, b, b+store.ManifestSuffix)
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("backup folder holds\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	if f, _ := s.BackupFigures(); !f.LastOK || f.Failures != 0 || f.Bytes == 0 || !f.LastSuccess.Equal(clock.Now().Add(-24*time.Hour)) {
		t.Errorf("figures after 8 good nights: %+v", f)
	}
	// A night whose folder cannot be made fails, and is counted.
	os.WriteFile(filepath.Join(dir, "not-a-folder"), nil, 0o600)
	cfg.Backup.Dir = "not-a-folder/backups"
	s.set(cfg)
	if _, err := s.once(ctx); err == nil {
		t.Fatal("a backup into a folder under a file succeeded")
	}
	if f, _ := s.BackupFigures(); f.LastOK || f.Failures != 1 || !f.LastRun.Equal(clock.Now()) || !f.LastSuccess.Equal(clock.Now().Add(-24*time.Hour)) {
		t.Errorf("figures after a failed night: %+v", f)
	}
	for _, n := range names {
		if strings.HasSuffix(n, ".db") {
			if _, err := store.Check(ctx, filepath.Join(dir, "backups", n), kek, store.Options{Unit: u}, nil); err != nil {
				t.Errorf("%s: %v", n, err)
			}
		}
	}
}

// openTestStore opens a new store for unit in dir, with a new key file
// there, on clock, and returns it with its key; it is closed when the test
// ends.
func openTestStore(t *testing.T, dir, unit string, clock clock.Clock) (*store.DB, store.KEK) {
	t.Helper()
	keyPath := filepath.Join(dir, "kek.key")
	if err := store.GenerateKeyFile(keyPath, rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	kek, err := store.LoadKeyFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "store.db"), kek, store.Options{Unit: unit, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, kek
}
