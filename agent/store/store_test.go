package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

func TestRoundTrip(t *testing.T) {
	db, _ := testStore(t)
	c := newCase(1, "hej")
	c.Guardian = &cases.Person{PNR: personnummer.Synthetic(time.Date(1980, 5, 5, 0, 0, 0, 0, time.UTC), 981), Name: "Vårdnadshavare Test"}
	insert(t, db, c)
	got, err := get(db, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(c)
	have, _ := json.Marshal(got)
	if !bytes.Equal(want, have) {
		t.Fatalf("round trip differs:\n got %s\nwant %s", have, want)
	}
	if _, err := get(db, "nope"); !errors.Is(err, cases.ErrNotFound) {
		t.Fatalf("missing case: got %v, want ErrNotFound", err)
	}
}

func TestInsertExistingRefused(t *testing.T) {
	db, _ := testStore(t)
	insert(t, db, newCase(1, "a"))
	err := db.Update(ctx, func(tx cases.Tx) error { return tx.Insert(newCase(1, "b")) })
	if !errors.Is(err, cases.ErrExists) {
		t.Fatalf("got %v, want ErrExists", err)
	}
	got, _ := get(db, newCase(1, "").ID)
	if got.Messages[0].Text != "a" {
		t.Fatal("the first case was overwritten")
	}
}

func lookup(t *testing.T, db *DB, idx cases.Index, value string) []cases.ID {
	t.Helper()
	var ids []cases.ID
	err := db.View(ctx, func(tx cases.ReadTx) error {
		return tx.Lookup(idx, value, func(id cases.ID) bool { ids = append(ids, id); return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestIndexesFollowUpdates(t *testing.T) {
	db, _ := testStore(t)
	a, b, c := newCase(1, "a"), newCase(2, "b"), newCase(3, "c")
	b.Type = casetype.BookAppointment
	insert(t, db, a, b, c)

	if got := lookup(t, db, cases.ByStatus, string(cases.Received)); !slices.Equal(got, []cases.ID{a.ID, b.ID, c.ID}) {
		t.Fatalf("by status: %v", got)
	}
	if got := lookup(t, db, cases.ByType, string(casetype.BookAppointment)); !slices.Equal(got, []cases.ID{b.ID}) {
		t.Fatalf("by type: %v", got)
	}
	if got := lookup(t, db, cases.ByPatient, string(a.Patient.PNR)); !slices.Equal(got, []cases.ID{a.ID}) {
		t.Fatalf("by patient: %v", got)
	}

	// Assign b, answer c: the indexes must drop the old values.
	err := db.Update(ctx, func(tx cases.Tx) error {
		cb, err := tx.Case(b.ID)
		if err != nil {
			return err
		}
		cb.Status, cb.Assignee, cb.Version = cases.Assigned, "SE2321000016-DOC1", cb.Version+1
		if err := tx.Update(cb); err != nil {
			return err
		}
		cc, err := tx.Case(c.ID)
		if err != nil {
			return err
		}
		cc.Status, cc.Version = cases.Answered, cc.Version+1
		return tx.Update(cc)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := lookup(t, db, cases.ByStatus, string(cases.Received)); !slices.Equal(got, []cases.ID{a.ID}) {
		t.Fatalf("received after update: %v", got)
	}
	if got := lookup(t, db, cases.ByAssignee, "SE2321000016-DOC1"); !slices.Equal(got, []cases.ID{b.ID}) {
		t.Fatalf("by assignee: %v", got)
	}
	// Only open cases are in the due index: c is answered.
	var due []cases.ID
	err = db.View(ctx, func(tx cases.ReadTx) error {
		return tx.DueBefore(t0.Add(365*24*time.Hour), func(id cases.ID, _ time.Time) bool { due = append(due, id); return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(due, []cases.ID{a.ID, b.ID}) {
		t.Fatalf("due: %v", due)
	}
	// A stale version is refused and changes nothing.
	err = db.Update(ctx, func(tx cases.Tx) error {
		stale := newCase(1, "stale")
		stale.Version = 5
		return tx.Update(stale)
	})
	if !errors.Is(err, cases.ErrConflict) {
		t.Fatalf("stale update: got %v, want ErrConflict", err)
	}
}

// rawUpdate edits the bolt file behind the store's back.
func rawUpdate(t *testing.T, dir string, fn func(btx *bolt.Tx) error) {
	t.Helper()
	bdb, err := bolt.Open(filepath.Join(dir, "store.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	if err := bdb.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestTamperRejected(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(b *bolt.Bucket, a, c []byte) error
	}{
		{"flip a ciphertext bit", func(b *bolt.Bucket, a, _ []byte) error {
			v := bytes.Clone(b.Get(a))
			v[len(v)/2] ^= 1
			return b.Put(a, v)
		}},
		{"flip the tag", func(b *bolt.Bucket, a, _ []byte) error {
			v := bytes.Clone(b.Get(a))
			v[len(v)-1] ^= 0x80
			return b.Put(a, v)
		}},
		{"change the term", func(b *bolt.Bucket, a, _ []byte) error {
			v := bytes.Clone(b.Get(a))
			v[4] ^= 1
			return b.Put(a, v)
		}},
		{"truncate", func(b *bolt.Bucket, a, _ []byte) error { return b.Put(a, bytes.Clone(b.Get(a)[:20])) }},
		{"move another case's value here", func(b *bolt.Bucket, a, c []byte) error { return b.Put(a, bytes.Clone(b.Get(c))) }},
		{"empty", func(b *bolt.Bucket, a, _ []byte) error { return b.Put(a, []byte{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, dir := testStore(t)
			a, c := newCase(1, "a"), newCase(2, "c")
			insert(t, db, a, c)
			// Under the open store, as damage found while serving: the
			// read fails and names the store damaged, the rest reads.
			db.bolt.Update(func(btx *bolt.Tx) error {
				return tt.tamper(btx.Bucket([]byte(bucketCases)), recordKey(btx, a.ID), recordKey(btx, c.ID))
			})
			if _, err := get(db, a.ID); !errors.Is(err, ErrTampered) || !errors.Is(err, ErrDamaged) {
				t.Fatalf("got %v, want ErrTampered and ErrDamaged", err)
			}
			if _, err := get(db, c.ID); err != nil {
				t.Fatalf("untouched case: %v", err)
			}
			if !errors.Is(db.Damaged(), ErrTampered) {
				t.Fatalf("Damaged() = %v, want the tampered value", db.Damaged())
			}
			// Opened again, the store is refused, and left as it is.
			db.Close()
			path := filepath.Join(dir, "store.db")
			before, _ := os.ReadFile(path)
			kek, _ := LoadKeyFile(filepath.Join(dir, "kek.key"))
			_, err := Open(ctx, path, kek, Options{Unit: testUnit})
			var d *DamagedError
			if !errors.As(err, &d) || !d.Untouched || d.Path != path || !errors.Is(err, ErrTampered) {
				t.Fatalf("reopen: %v, want an untouched *DamagedError naming %s", err, path)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Fatal("the refused open changed the file")
			}
		})
	}
}

func TestWrongKeyRefusedAndNothingWritten(t *testing.T) {
	db, dir := testStore(t)
	insert(t, db, newCase(1, "a"))
	db.Close()
	before, err := os.ReadFile(filepath.Join(dir, "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other.key")
	if err := GenerateKeyFile(other, nil, false); err != nil {
		t.Fatal(err)
	}
	kek, err := LoadKeyFile(other)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, filepath.Join(dir, "store.db"), kek, Options{Unit: testUnit})
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("got %v, want ErrWrongKey", err)
	}
	if !strings.Contains(err.Error(), "right key file") {
		t.Errorf("error does not say what to do: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "store.db"))
	if !bytes.Equal(before, after) {
		t.Fatal("a refused open changed the file")
	}
}

func TestOtherUnitRefused(t *testing.T) {
	db, dir := testStore(t)
	db.Close()
	kek, _ := LoadKeyFile(filepath.Join(dir, "kek.key"))
	_, err := Open(ctx, filepath.Join(dir, "store.db"), kek, Options{Unit: "SE2321000016-OTHR"})
	if err == nil || !strings.Contains(err.Error(), "belongs to care unit") {
		t.Fatalf("got %v", err)
	}
}

func TestKeyFileChecks(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "k.key")
	if err := GenerateKeyFile(p, nil, false); err != nil {
		t.Fatal(err)
	}
	if err := GenerateKeyFile(p, nil, false); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("overwrite without force: %v", err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	os.Chmod(p, 0o644)
	if _, err := LoadKeyFile(p); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("readable key file: %v", err)
	}
	os.Chmod(p, 0o600)
	os.WriteFile(p, []byte("clinicgw-kek-v1 notbase64!\n"), 0o600)
	if _, err := LoadKeyFile(p); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged key file: %v", err)
	}
	os.WriteFile(p, []byte("something else\n"), 0o600)
	if _, err := LoadKeyFile(p); err == nil || !strings.Contains(err.Error(), "not a clinicgw key file") {
		t.Fatalf("foreign file: %v", err)
	}
}

func termOfCase(t *testing.T, dir string, id cases.ID) uint32 {
	t.Helper()
	bdb, err := bolt.Open(filepath.Join(dir, "store.db"), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var term uint32
	bdb.View(func(btx *bolt.Tx) error {
		term, _ = termOf(btx.Bucket([]byte(bucketCases)).Get(recordKey(btx, id)))
		return nil
	})
	return term
}

func TestRotateKeepsOldTermsReadable(t *testing.T) {
	db, dir := testStore(t)
	a := newCase(1, "before")
	insert(t, db, a)
	info, err := db.RotateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Term != 2 || !info.Active {
		t.Fatalf("new term: %+v", info)
	}
	b := newCase(2, "after")
	insert(t, db, b)
	db.Close()
	if got := termOfCase(t, dir, a.ID); got != 1 {
		t.Errorf("old case sealed under term %d, want 1", got)
	}
	if got := termOfCase(t, dir, b.ID); got != 2 {
		t.Errorf("new case sealed under term %d, want 2", got)
	}
	db = openAt(t, dir)
	for _, id := range []cases.ID{a.ID, b.ID} {
		if _, err := get(db, id); err != nil {
			t.Fatalf("after reopen, %s: %v", id, err)
		}
	}
	ring, err := db.Keyring()
	if err != nil || len(ring) != 2 || ring[0].Active || !ring[1].Active {
		t.Fatalf("key ring: %+v %v", ring, err)
	}
	if _, err := db.VerifyAudit(ctx); err != nil {
		t.Fatalf("access log across a rotation: %v", err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	db, dir := testStore(t)
	db.Close()
	rawUpdate(t, dir, func(btx *bolt.Tx) error {
		return btx.Bucket([]byte(bucketMeta)).Put(keySchema, []byte{0, 0, 0, 99})
	})
	kek, _ := LoadKeyFile(filepath.Join(dir, "kek.key"))
	_, err := Open(ctx, filepath.Join(dir, "store.db"), kek, Options{Unit: testUnit})
	if err == nil || !strings.Contains(err.Error(), "upgrade clinicgw") {
		t.Fatalf("got %v", err)
	}
}

func TestMigrationRunsOnce(t *testing.T) {
	db, dir := testStore(t)
	toSchema2(t, db)
	rawUpdate(t, dir, func(btx *bolt.Tx) error {
		return btx.Bucket([]byte(bucketMeta)).Put(keySchema, []byte{0, 0, 0, 0})
	})
	runs := 0
	migrations[0] = func(*bolt.Tx) error { runs++; return nil }
	defer delete(migrations, 0)
	openAt(t, dir).Close()
	openAt(t, dir).Close()
	if runs != 1 {
		t.Fatalf("migration ran %d times, want 1", runs)
	}
}

func TestSecondOpenWaitsThenFails(t *testing.T) {
	_, dir := testStore(t) // still open
	kek, _ := LoadKeyFile(filepath.Join(dir, "kek.key"))
	_, err := Open(ctx, filepath.Join(dir, "store.db"), kek, Options{Unit: testUnit, LockTimeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "in use by another") {
		t.Fatalf("got %v", err)
	}
}

func TestMigrationFromSchema1AddsOutbox(t *testing.T) {
	db, dir := testStore(t)
	insert(t, db, newCase(1, "a"))
	toSchema2(t, db)
	rawUpdate(t, dir, func(btx *bolt.Tx) error {
		for _, b := range []string{bucketOutbox, bucketOutboxKeys} {
			if err := btx.DeleteBucket([]byte(b)); err != nil {
				return err
			}
		}
		return btx.Bucket([]byte(bucketMeta)).Put(keySchema, []byte{0, 0, 0, 1})
	})
	db = openAt(t, dir)
	err := db.Update(ctx, func(tx cases.Tx) error {
		return tx.Enqueue(cases.Outbound{Key: "k1", CaseID: newCase(1, "").ID, Kind: cases.OutboundStatus, Status: cases.Assigned})
	})
	if err != nil {
		t.Fatalf("outbox after migration: %v", err)
	}
	if _, err := get(db, newCase(1, "").ID); err != nil {
		t.Fatalf("case after migration: %v", err)
	}
}

// TestLookupAny: several values of one index come merged in id order,
// each id once, and the walk stops when fn says so.
func TestLookupAny(t *testing.T) {
	db, _ := testStore(t)
	st := []cases.Status{cases.Received, cases.Assigned, cases.Answered, cases.Received, cases.Assigned, cases.WaitingForPatient}
	var cs []*cases.Case
	for i, s := range st {
		c := newCase(i+1, "x")
		c.Status = s
		if i%2 == 1 {
			c.Type = casetype.ContactMe
		}
		cs = append(cs, c)
	}
	insert(t, db, cs...)
	ids := func(is ...int) []cases.ID {
		out := []cases.ID{}
		for _, i := range is {
			out = append(out, cs[i-1].ID)
		}
		return out
	}
	open := []string{string(cases.Received), string(cases.Assigned), string(cases.WaitingForPatient)}
	for _, tc := range []struct {
		name   string
		idx    cases.Index
		values []string
		stop   int // stop after this many; 0 for never
		want   []cases.ID
	}{
		{"open statuses", cases.ByStatus, open, 0, ids(1, 2, 4, 5, 6)},
		{"values in another order", cases.ByStatus, []string{open[2], open[0], open[1]}, 0, ids(1, 2, 4, 5, 6)},
		{"stopped after three", cases.ByStatus, open, 3, ids(1, 2, 4)},
		{"a value twice", cases.ByStatus, []string{open[0], open[0]}, 0, ids(1, 4)},
		{"no such value", cases.ByStatus, []string{"nope"}, 0, ids()},
		{"no values", cases.ByStatus, nil, 0, ids()},
		{"two types", cases.ByType, []string{string(casetype.ContactMe), string(casetype.RenewPrescription)}, 0, ids(1, 2, 3, 4, 5, 6)},
		{"two patients", cases.ByPatient, []string{string(cs[4].Patient.PNR), string(cs[1].Patient.PNR)}, 0, ids(2, 5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := []cases.ID{}
			err := db.View(ctx, func(tx cases.ReadTx) error {
				return tx.LookupAny(tc.idx, tc.values, func(id cases.ID) bool {
					got = append(got, id)
					return tc.stop == 0 || len(got) < tc.stop
				})
			})
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	err := db.View(ctx, func(tx cases.ReadTx) error {
		return tx.LookupAny("nope", []string{"x"}, func(cases.ID) bool { return true })
	})
	if err == nil {
		t.Error("an unknown index: no error")
	}
}

// TestOpenRefusesForeignFiles: an existing file that is not a clinicgw
// store — empty, another format, another program's bbolt file — is
// refused, never made into a new store; bbolt's own empty file (a first
// start cut short after bbolt made it) becomes the store.
func TestOpenRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	if err := GenerateKeyFile(filepath.Join(dir, "kek.key"), nil, false); err != nil {
		t.Fatal(err)
	}
	kek, err := LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "store.db")
	boltFile := func(buckets ...string) []byte {
		p := filepath.Join(t.TempDir(), "other.db")
		bdb, err := bolt.Open(p, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		bdb.Update(func(btx *bolt.Tx) error {
			for _, b := range buckets {
				if _, err := btx.CreateBucket([]byte(b)); err != nil {
					return err
				}
			}
			return nil
		})
		bdb.Close()
		b, _ := os.ReadFile(p)
		return b
	}
	for _, tt := range []struct {
		name string
		file []byte
	}{
		{"empty", nil},
		{"text", []byte("not a store\n")},
		{"another program's bbolt file", boltFile("users", "sessions")},
		{"a bbolt file with a clinicgw bucket only", boltFile(bucketCases)},
	} {
		if err := os.WriteFile(path, tt.file, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(ctx, path, kek, Options{Unit: testUnit})
		var d *DamagedError
		if !errors.As(err, &d) || !d.Untouched || d.Path != path {
			t.Errorf("%s: %v, want an untouched *DamagedError", tt.name, err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(after, tt.file) {
			t.Errorf("%s: the file changed", tt.name)
		}
	}
	if err := os.WriteFile(path, boltFile(), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path, kek, Options{Unit: testUnit})
	if err != nil {
		t.Fatalf("bbolt's empty file: %v", err)
	}
	db.Close()
}
