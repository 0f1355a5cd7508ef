package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/personnummer"
)

// asSchema6 makes db a schema-6 store: the blinded personnummer in
// idx-patient, keyed by case id, the id index's entries the record keys
// alone (patientidx.go).
func asSchema6(t testing.TB, db *DB) {
	t.Helper()
	err := db.update(func(btx *bolt.Tx) error {
		if btx.Bucket([]byte(bucketByPatient)) != nil {
			return nil
		}
		pb, err := btx.CreateBucket([]byte(bucketByPatient))
		if err != nil {
			return err
		}
		ids := btx.Bucket([]byte(bucketCaseIDs))
		type entry struct{ id, key, patients []byte }
		var es []entry
		c := ids.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			key := recordKeyOf(k, v)
			es = append(es, entry{bytes.Clone(k), bytes.Clone(key), bytes.Clone(v[len(key):])})
		}
		for _, e := range es {
			if err := pb.Put(e.id, e.patients); err != nil {
				return err
			}
			if err := ids.Put(e.id, e.key); err != nil {
				return err
			}
		}
		meta := btx.Bucket([]byte(bucketMeta))
		if v, _ := readSchema(btx); v < 6 {
			return nil
		}
		return meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, 6))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// patientStore holds n cases, every third with a guardian, and returns
// them.
func patientStore(t *testing.T, n int) (*DB, string, []*cases.Case) {
	t.Helper()
	db, dir := testStore(t)
	var cs []*cases.Case
	for i := range n {
		c := newCase(i, "Hej")
		if i%3 == 0 {
			g := newCase(100000+i, "").Patient
			c.Guardian = &g
		}
		cs = append(cs, c)
	}
	for from := 0; from < n; from += 500 {
		insert(t, db, cs[from:min(n, from+500)]...)
	}
	return db, dir, cs
}

// checkPatientLookups: every case is found by its patient's and its
// guardian's personnummer, and nothing else is.
func checkPatientLookups(t *testing.T, db *DB, cs []*cases.Case) {
	t.Helper()
	err := db.View(ctx, func(rtx cases.ReadTx) error {
		for _, c := range cs[:min(len(cs), 60)] {
			pnrs := []personnummer.Personnummer{c.Patient.PNR}
			if c.Guardian != nil {
				pnrs = append(pnrs, c.Guardian.PNR)
			}
			for _, p := range pnrs {
				var want, got []cases.ID
				for _, o := range cs {
					if o.Patient.PNR == p || o.Guardian != nil && o.Guardian.PNR == p {
						want = append(want, o.ID)
					}
				}
				if err := rtx.Lookup(cases.ByPatient, string(p), func(id cases.ID) bool { got = append(got, id); return true }); err != nil {
					return err
				}
				if !slices.Equal(got, want) {
					t.Errorf("cases of %s: %v, want %v", p[:4], got, want)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPatientFold: a schema-6 store's idx-patient is folded into its id
// index at Open (schema 7): the bucket is gone, every case is found by
// its patient and guardian as before, and the store checks clean.
func TestPatientFold(t *testing.T) {
	db, dir, cs := patientStore(t, 1200)
	checkPatientLookups(t, db, cs)
	asSchema6(t, db)
	db.Close()
	defer func(b int) { foldBatch = b }(foldBatch)
	foldBatch = 500
	db = openAt(t, dir)
	if v := schemaOf(t, db); v != schemaVersion {
		t.Errorf("schema %d after the fold, want %d", v, schemaVersion)
	}
	db.bolt.View(func(btx *bolt.Tx) error {
		if btx.Bucket([]byte(bucketByPatient)) != nil {
			t.Errorf("the store still holds %s", bucketByPatient)
		}
		return nil
	})
	checkPatientLookups(t, db, cs)
	if err := db.Check(ctx); err != nil {
		t.Fatalf("check after the fold: %v", err)
	}
	if got := allCases(t, db); len(got) != len(cs) {
		t.Fatalf("%d cases after the fold, want %d", len(got), len(cs))
	}
}

// TestCaseIDEntryWithoutPatientIsDamage: once idx-patient is folded, an
// id index entry without blinded numbers, or with a part of one, hides
// its case from its patient's lookups: damage, found by the next Open.
func TestCaseIDEntryWithoutPatientIsDamage(t *testing.T) {
	for _, cut := range []int{blindLen, 5} {
		db, dir, cs := patientStore(t, 3)
		err := db.bolt.Update(func(btx *bolt.Tx) error {
			ids := btx.Bucket([]byte(bucketCaseIDs))
			v := bytes.Clone(ids.Get([]byte(cs[1].ID)))
			return ids.Put([]byte(cs[1].ID), v[:len(v)-cut])
		})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		kek := mustKEK(t, dir)
		if _, err := Open(ctx, filepath.Join(dir, "store.db"), kek, Options{Unit: testUnit}); !errors.Is(err, ErrDamaged) {
			t.Errorf("an id index entry %d bytes short: open %v, want ErrDamaged", cut, err)
		}
	}
}

const patientFoldChildEnv = "CLINICGW_PATIENTFOLD_CHILD"

func TestPatientFoldChild(t *testing.T) {
	openInChild(t, patientFoldChildEnv, func() { foldBatch = 50 })
}

// TestPatientFoldKilled: the fold, killed (SIGKILL) a random 0–20 ms
// after its first batch, goes on at the next Open, and every case is
// found by its patient as before.
func TestPatientFoldKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	db, dir, cs := patientStore(t, 1500)
	asSchema6(t, db)
	db.Close()
	for round := range 3 {
		killAfter(t, "TestPatientFoldChild", patientFoldChildEnv, dir, "patient index entries folded")
		left := -1
		bdb, err := bolt.Open(filepath.Join(dir, "store.db"), 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		var schema uint32
		bdb.View(func(btx *bolt.Tx) error {
			if b := btx.Bucket([]byte(bucketByPatient)); b != nil {
				left = b.Stats().KeyN
			}
			schema, _ = readSchema(btx)
			return nil
		})
		bdb.Close()
		t.Logf("round %d: killed with %d entries left to fold (schema %d)", round, left, schema)
		if schema != schemaVersion {
			t.Fatalf("round %d: schema %d with a fold under way, want %d (an older clinicgw must refuse it)", round, schema, schemaVersion)
		}
		if left < 0 {
			break
		}
	}
	db = openAt(t, dir)
	checkPatientLookups(t, db, cs)
	db.Close()
	if _, err := Check(ctx, filepath.Join(dir, "store.db"), mustKEK(t, dir), Options{Unit: testUnit}, nil); err != nil {
		t.Fatalf("check after the killed fold: %v", err)
	}
}
