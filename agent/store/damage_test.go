package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
)

// TestDamageWhileServing: a store damaged under the running service (a
// page overwritten, the file cut short) makes the reads that reach the
// damage fail with a *DamagedError instead of a panic or a fault that
// ends the process; the store says it is damaged (the health check's
// state) and refuses every later write, since bbolt's state in memory
// can no longer be trusted to write a consistent file.
func TestDamageWhileServing(t *testing.T) {
	for _, tt := range []struct {
		name   string
		damage func(t *testing.T, db *DB, path string)
	}{
		{"a page overwritten", func(t *testing.T, db *DB, path string) {
			var root int64
			db.bolt.View(func(btx *bolt.Tx) error { root = int64(btx.Bucket([]byte(bucketCases)).Root()); return nil })
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(make([]byte, 64), root*int64(db.bolt.Info().PageSize)); err != nil {
				t.Fatal(err)
			}
		}},
		{"the file cut short", func(t *testing.T, db *DB, path string) {
			if err := os.Truncate(path, int64(2*db.bolt.Info().PageSize)); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, dir := testStore(t)
			var ids []cases.ID
			for i := range 60 {
				c := newCase(i, text2k)
				insert(t, db, c)
				ids = append(ids, c.ID)
			}
			tt.damage(t, db, filepath.Join(dir, "store.db"))
			var failed error
			for _, id := range ids {
				if _, err := get(db, id); err != nil {
					failed = err
					break
				}
			}
			var d *DamagedError
			if !errors.As(failed, &d) || d.Path != filepath.Join(dir, "store.db") {
				t.Fatalf("reads after the damage: %v, want a *DamagedError", failed)
			}
			if !errors.Is(db.Damaged(), ErrDamaged) {
				t.Fatalf("Damaged() = %v", db.Damaged())
			}
			if err := db.Update(ctx, func(tx cases.Tx) error { return nil }); !errors.Is(err, ErrDamaged) {
				t.Fatalf("a write after the damage: %v, want refused", err)
			}
			t.Logf("read: %v", failed)
		})
	}
}

// TestBugPanicsNotSwallowed: a panic in clinicgw's own code inside a
// transaction is a bug, not damage: it goes on as before, and the store
// is not marked damaged.
func TestBugPanicsNotSwallowed(t *testing.T) {
	db, _ := testStore(t)
	for _, tt := range []struct {
		name string
		fn   func(cases.ReadTx) error
	}{
		{"panic", func(cases.ReadTx) error { panic("a bug") }},
		{"nil pointer", func(cases.ReadTx) error { var c *cases.Case; _ = c.ID; return nil }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: the panic was swallowed", tt.name)
				}
			}()
			db.View(ctx, tt.fn)
		}()
	}
	if err := db.Damaged(); err != nil {
		t.Fatalf("marked damaged by a bug: %v", err)
	}
}
