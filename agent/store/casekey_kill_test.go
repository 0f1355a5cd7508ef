package store

import (
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// The move of a schema-2 store's records to sequence keys, killed: a child
// process (this test binary) opens the store, moving 50 records a
// transaction and logging each batch to stdout; the parent kills it with
// SIGKILL a random 0–20 ms after its first batch, then opens the store,
// which finishes the move. Every case reads as before.

const caseMoveChildEnv = "CLINICGW_CASEMOVE_CHILD"

func TestCaseMoveChild(t *testing.T) {
	openInChild(t, caseMoveChildEnv, func() { caseMoveBatch = 50 })
}

func TestCaseMoveKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	db, dir := testStore(t)
	for from := 0; from < 1500; from += 500 {
		insert(t, db, benchCases(from, 500)...)
	}
	want := allCases(t, db)
	toSchema2(t, db)
	for round := range 3 {
		killAfter(t, "TestCaseMoveChild", caseMoveChildEnv, dir, "moved to arrival order")
		var left int
		bdb, err := bolt.Open(filepath.Join(dir, "store.db"), 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		bdb.View(func(btx *bolt.Tx) error {
			if b := btx.Bucket([]byte(bucketCasesV2)); b != nil {
				left = b.Stats().KeyN
			}
			return nil
		})
		bdb.Close()
		t.Logf("round %d: killed with %d records left to move", round, left)
		if left == 0 {
			break
		}
	}
	db = openAt(t, dir)
	got := allCases(t, db)
	if len(got) != len(want) {
		t.Fatalf("%d cases after the killed move, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Version != want[i].Version || got[i].Messages[0].Text != want[i].Messages[0].Text {
			t.Fatalf("case %d after the killed move: %s, want %s", i, got[i].ID, want[i].ID)
		}
	}
	db.Close()
	if _, err := Check(ctx, filepath.Join(dir, "store.db"), mustKEK(t, dir), Options{Unit: testUnit}, nil); err != nil {
		t.Fatalf("check after the killed move: %v", err)
	}
}

func mustKEK(t *testing.T, dir string) KEK {
	t.Helper()
	kek, err := LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	return kek
}
