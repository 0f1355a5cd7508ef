package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
)

// msgHandler is a slog handler that passes each record's message to fn.
type msgHandler func(msg string)

func (h msgHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h msgHandler) Handle(_ context.Context, r slog.Record) error {
	h(r.Message)
	return nil
}
func (h msgHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h msgHandler) WithGroup(string) slog.Handler      { return h }

// TestCaseIndexTamperRejected: the index of case ids is checked against
// the records. An entry pointed at another case's record, an entry
// removed (its record left without one) or a record removed is damage:
// found by a read where a read meets it, and by the next Open, which
// refuses the file and leaves it as it is.
func TestCaseIndexTamperRejected(t *testing.T) {
	tests := []struct {
		name     string
		tamper   func(btx *bolt.Tx, a, c []byte) error
		readable bool // the read of case a does not meet it (a is just gone)
	}{
		{"point an id at another case's record", func(btx *bolt.Tx, a, c []byte) error {
			ids := btx.Bucket([]byte(bucketCaseIDs))
			return ids.Put(a, bytes.Clone(ids.Get(c)))
		}, false},
		{"point an id at a record key of its own but another number", func(btx *bolt.Tx, a, _ []byte) error {
			ids := btx.Bucket([]byte(bucketCaseIDs))
			k := bytes.Clone(ids.Get(a))
			k[7] ^= 0x40
			return ids.Put(a, k)
		}, false},
		{"remove a record", func(btx *bolt.Tx, a, _ []byte) error {
			return btx.Bucket([]byte(bucketCases)).Delete(recordKey(btx, cases.ID(a)))
		}, false},
		{"remove an index entry", func(btx *bolt.Tx, a, _ []byte) error {
			return btx.Bucket([]byte(bucketCaseIDs)).Delete(a)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, dir := testStore(t)
			a, c := newCase(1, "a"), newCase(2, "c")
			insert(t, db, a, c)
			if err := db.bolt.Update(func(btx *bolt.Tx) error { return tt.tamper(btx, []byte(a.ID), []byte(c.ID)) }); err != nil {
				t.Fatal(err)
			}
			if _, err := get(db, a.ID); !tt.readable && (!errors.Is(err, ErrTampered) || !errors.Is(err, ErrDamaged)) {
				t.Fatalf("read: %v, want ErrTampered and ErrDamaged", err)
			}
			if _, err := get(db, c.ID); err != nil {
				t.Fatalf("untouched case: %v", err)
			}
			db.Close()
			path := filepath.Join(dir, "store.db")
			before, _ := os.ReadFile(path)
			kek, _ := LoadKeyFile(filepath.Join(dir, "kek.key"))
			_, err := Open(ctx, path, kek, Options{Unit: testUnit})
			var d *DamagedError
			if !errors.As(err, &d) || !d.Untouched || !errors.Is(err, ErrTampered) {
				t.Fatalf("reopen: %v, want an untouched *DamagedError", err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Fatal("the refused open changed the file")
			}
		})
	}
}

// toSchema2 closes db after giving it schema 2's layout: the case
// records under their ids in bucketCasesV2, sealed for those keys, and no
// id index.
func toSchema2(t *testing.T, db *DB) {
	t.Helper()
	asSchema4(t, db) // the retired indexes too (derivedidx.go)
	err := db.bolt.Update(func(btx *bolt.Tx) error {
		s := db.sealer.Load()
		old, err := btx.CreateBucket([]byte(bucketCasesV2))
		if err != nil {
			return err
		}
		recs := btx.Bucket([]byte(bucketCases))
		err = btx.Bucket([]byte(bucketCaseIDs)).ForEach(func(id, key []byte) error {
			plain, err := s.open(bucketCases, key, recs.Get(key))
			if err != nil {
				return err
			}
			sealed, err := s.seal(bucketCasesV2, id, plain)
			if err != nil {
				return err
			}
			return old.Put(id, sealed)
		})
		if err != nil {
			return err
		}
		for _, name := range []string{bucketCases, bucketCaseIDs} {
			if err := btx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return btx.Bucket([]byte(bucketMeta)).Put(keySchema, []byte{0, 0, 0, 2})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// allCases reads every case, in the order Cases gives them.
func allCases(t *testing.T, db *DB) []*cases.Case {
	t.Helper()
	var out []*cases.Case
	err := db.View(ctx, func(tx cases.ReadTx) error {
		return tx.Cases(func(c *cases.Case) bool { out = append(out, c); return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCasesKeyedBySeqMigration: a schema-2 store's records move to
// sequence keys at Open, batch by batch; an Open stopped part way (the
// process killed: each batch is one transaction) leaves a store that an
// older clinicgw refuses (schema 3 from the first batch) and that the
// next Open finishes; after it, every case reads as before, in id order,
// in the order of arrival by sequence, the file checks, and an Open
// writes nothing more.
func TestCasesKeyedBySeqMigration(t *testing.T) {
	defer func(n int) { caseMoveBatch = n }(caseMoveBatch)
	caseMoveBatch = 7
	db, dir := testStore(t)
	var cs []*cases.Case
	for i := range 40 {
		cs = append(cs, newCase(i, text2k))
	}
	insert(t, db, cs...)
	want := allCases(t, db)
	toSchema2(t, db)
	kek, err := LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	// A schema-2 file (a backup made before) checks as it is.
	if _, err := Check(ctx, filepath.Join(dir, "store.db"), kek, Options{Unit: testUnit}, nil); err != nil {
		t.Fatalf("check the schema-2 store: %v", err)
	}

	// Stopped after two batches.
	stop, cancel := context.WithCancel(ctx)
	batches := 0
	log := slog.New(msgHandler(func(msg string) {
		if msg == "store: case records moved to arrival order" {
			if batches++; batches == 2 {
				cancel()
			}
		}
	}))
	if _, err := Open(stop, filepath.Join(dir, "store.db"), kek, Options{Unit: testUnit, Logger: log}); !errors.Is(err, context.Canceled) {
		t.Fatalf("open stopped part way: %v", err)
	}
	var v uint32
	var moved, left int
	err = func() error {
		bdb, err := bolt.Open(filepath.Join(dir, "store.db"), 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			return err
		}
		defer bdb.Close()
		return bdb.View(func(btx *bolt.Tx) error {
			v, _ = readSchema(btx)
			moved = btx.Bucket([]byte(bucketCases)).Stats().KeyN
			left = btx.Bucket([]byte(bucketCasesV2)).Stats().KeyN
			return nil
		})
	}()
	if err != nil {
		t.Fatal(err)
	}
	if v != 3 || moved != 2*caseMoveBatch || left != len(cs)-moved {
		t.Fatalf("after two batches: schema %d, %d records moved, %d left; want 3, %d, %d", v, moved, left, 2*caseMoveBatch, len(cs)-2*caseMoveBatch)
	}

	db = openAt(t, dir)
	got := allCases(t, db)
	if len(got) != len(want) {
		t.Fatalf("%d cases after the move, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Version != want[i].Version || got[i].Messages[0].Text != want[i].Messages[0].Text {
			t.Fatalf("case %d after the move: %s v%d, want %s v%d", i, got[i].ID, got[i].Version, want[i].ID, want[i].Version)
		}
	}
	err = db.bolt.View(func(btx *bolt.Tx) error {
		if btx.Bucket([]byte(bucketCasesV2)) != nil {
			t.Error("the schema-2 bucket is still there")
		}
		// Sequence numbers in id order: the move took the oldest id first.
		var last []byte
		return btx.Bucket([]byte(bucketCaseIDs)).ForEach(func(id, key []byte) error {
			if bytes.Compare(key, last) <= 0 {
				t.Errorf("case %s has record %s, not after %s", id, printKey(key), printKey(last))
			}
			last = key
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	// A new case goes after the moved ones.
	insert(t, db, newCase(99, "ny"))
	db.Close()
	if _, err := Check(ctx, filepath.Join(dir, "store.db"), kek, Options{Unit: testUnit}, nil); err != nil {
		t.Fatalf("check after the move: %v", err)
	}
	path := filepath.Join(dir, "store.db")
	before, _ := os.ReadFile(path)
	db = openAt(t, dir)
	db.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("an open after the move wrote to the file")
	}
}

// TestSchema2BackupRestores: a backup of a store made before schema 3
// restores, and the restored store's records are moved at its open.
func TestSchema2BackupRestores(t *testing.T) {
	db, dir := testStore(t)
	for i := range 12 {
		insert(t, db, newCase(i, text2k))
	}
	want := allCases(t, db)
	toSchema2(t, db)
	db = backupRestoreOpen(t, dir, 2)
	got := allCases(t, db)
	if len(got) != len(want) {
		t.Fatalf("%d cases restored, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Fatalf("case %d restored: %s, want %s", i, got[i].ID, want[i].ID)
		}
	}
	if db.hasV2() {
		t.Error("the restored store still has schema 2's bucket")
	}
}

// backupRestoreOpen backs up the closed store in dir, whose schema is
// schema, restores the backup to a new file and opens it (closed when
// the test ends).
func backupRestoreOpen(t *testing.T, dir string, schema uint32) *DB {
	t.Helper()
	path := filepath.Join(dir, "store.db")
	backup := filepath.Join(t.TempDir(), "b.db")
	m, err := WriteBackup(backup, func(w io.Writer) (Manifest, error) {
		return BackupFile(ctx, path, w, Options{Unit: testUnit}, nil)
	})
	if err != nil || m.Schema != schema {
		t.Fatalf("backup of the schema-%d store: schema %d, %v", schema, m.Schema, err)
	}
	target := filepath.Join(t.TempDir(), "store.db")
	if _, err := Restore(ctx, target, backup, mustKEK(t, dir), Options{Unit: testUnit}, nil); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, target, mustKEK(t, dir), Options{Unit: testUnit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (db *DB) hasV2() bool {
	var ok bool
	db.bolt.View(func(btx *bolt.Tx) error { ok = btx.Bucket([]byte(bucketCasesV2)) != nil; return nil })
	return ok
}
