package store

import (
	"io"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The migration to schema 5, killed: a child process (this test binary)
// opens a schema-4 store whose list indexes are still to fill, 50 cases a
// transaction, then drops the retired buckets; the parent kills it with
// SIGKILL a random 0–60 ms after it started opening, then reads the
// schema the file was left at, until the migration was done. The store
// then opens with every list exact.

const dropIndexChildEnv = "CLINICGW_DROPINDEX_CHILD"

func TestDropIndexChild(t *testing.T) {
	openInChild(t, dropIndexChildEnv, func() { listIndexBatch = 50 })
}

func TestDropIndexKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	db, dir, _ := derivedStore(t)
	insert(t, db, benchCases(1000, 1500)...)
	cs := allCases(t, db)
	stripListIndexes(t, db, "")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	schema := uint32(4)
	for round := 0; schema == 4 && round < 8; round++ {
		cmd, lines, stdout := startChild(t, "TestDropIndexChild", dropIndexChildEnv, dir)
		for lines.Scan() && lines.Text() != "opening" {
		}
		time.Sleep(time.Duration(randN(60)) * time.Millisecond) // the fault, not a synchronisation
		cmd.Process.Kill()
		go io.Copy(io.Discard, stdout)
		cmd.Wait()
		bdb, err := bolt.Open(filepath.Join(dir, "store.db"), 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		var listed []byte
		bdb.View(func(btx *bolt.Tx) error {
			schema, _ = readSchema(btx)
			listed = btx.Bucket([]byte(bucketMeta)).Get(keyListIndexed)
			return nil
		})
		t.Logf("round %d: killed at schema %d, list indexes filled: %x", round, schema, listed)
		bdb.Close()
	}
	db = openAt(t, dir)
	if v := schemaOf(t, db); v != schemaVersion {
		t.Errorf("schema %d after the killed migration, want %d", v, schemaVersion)
	}
	checkDerivedReads(t, db, cs)
	db.Close()
	if _, err := Check(ctx, filepath.Join(dir, "store.db"), mustKEK(t, dir), Options{Unit: testUnit}, nil); err != nil {
		t.Fatalf("check after the killed migration: %v", err)
	}
}
