package store

import (
	"bytes"
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
)

// mountTmpfs mounts a tmpfs of size bytes on a new folder: a real file
// system that fills up (sessions and CI run as root). It skips, saying
// why, where mounting is not allowed.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.Itoa(size)); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes a file in dir until the file system is full, then frees
// leave bytes of it.
func fill(t *testing.T, dir string, leave int64) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 16<<10)
	var n int64
	for {
		w, err := f.Write(chunk)
		n += int64(w)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(max(n-leave, 0)); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCompactionPostponedOnFullDisk: a store whose key terms were retired
// while it was open (compaction pending) on a nearly full disk still
// opens — compaction postponed with a warning, the file as it was, the
// mark kept — both when the free space is seen to be too little and when
// the copy runs out of space midway; with room again, the next start
// compacts.
func TestCompactionPostponedOnFullDisk(t *testing.T) {
	dir := mountTmpfs(t, 12<<20)
	if err := GenerateKeyFile(filepath.Join(dir, "kek.key"), rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	kek, err := LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "store.db")
	db, err := Open(ctx, path, kek, Options{Unit: testUnit})
	if err != nil {
		t.Fatal(err)
	}
	var all []*cases.Case
	for i := range 300 {
		all = append(all, newCase(i, text2k))
	}
	insert(t, db, all...)
	if _, err := db.RotateKey(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Reseal(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	if retired, err := db.RetireTerms(ctx); err != nil || len(retired) != 1 {
		t.Fatalf("retire: %v, %v", retired, err)
	}
	db.Close()
	pending := func(db *DB) bool {
		var p bool
		db.bolt.View(func(btx *bolt.Tx) error { p = btx.Bucket([]byte(bucketMeta)).Get(keyCompact) != nil; return nil })
		return p
	}
	before, _ := os.ReadFile(path)
	t.Logf("store %d bytes", len(before))
	filler := fill(t, dir, int64(len(before))/4)

	for _, tt := range []struct {
		name, warning string
		free          func(string) (uint64, error)
	}{
		{"too little room seen", "too little free disk space", nil},
		{"the copy runs out of room", "it failed", func(string) (uint64, error) { return 1 << 40, nil }},
	} {
		var logs bytes.Buffer
		db, err := Open(ctx, path, kek, Options{Unit: testUnit, Logger: slog.New(slog.NewTextHandler(&logs, nil)), diskFree: tt.free})
		if err != nil {
			t.Fatalf("%s: open refused: %v", tt.name, err)
		}
		if !strings.Contains(logs.String(), "store compaction postponed") || !strings.Contains(logs.String(), tt.warning) {
			t.Errorf("%s: no warning that compaction was postponed:\n%s", tt.name, logs.String())
		}
		if !pending(db) {
			t.Errorf("%s: the compaction mark is gone", tt.name)
		}
		if c, err := get(db, all[7].ID); err != nil || c.ID != all[7].ID {
			t.Errorf("%s: a case after the postponed compaction: %v", tt.name, err)
		}
		db.Close()
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Errorf("%s: the store file changed", tt.name)
		}
		if _, err := os.Stat(filepath.Join(dir, ".store.db.compact")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: the half-made copy was left: %v", tt.name, err)
		}
	}

	os.Remove(filler)
	var logs bytes.Buffer
	db, err = Open(ctx, path, kek, Options{Unit: testUnit, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if pending(db) || fileSize(path) >= int64(len(before)) {
		t.Errorf("with room again: pending %v, %d → %d bytes; want compacted\n%s", pending(db), len(before), fileSize(path), logs.String())
	}
}
