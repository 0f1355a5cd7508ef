package store

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// caseIndexEntries counts the entries of every case index bucket (the
// idx- buckets but the access log's, and case-ids), by bucket.
func caseIndexEntries(t testing.TB, db *DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := db.bolt.View(func(btx *bolt.Tx) error {
		return btx.ForEach(func(name []byte, b *bolt.Bucket) error {
			n := string(name)
			if n == bucketCaseIDs || strings.HasPrefix(n, "idx-") && !strings.HasPrefix(n, "idx-audit-") {
				out[n] = b.Stats().KeyN
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBacklogIndexEntriesPerCase: a received case (the backlog's: a type,
// a due date, new, no assignee, no queue) is put in three case indexes —
// case-ids, idx-status-type and idx-type-due — each put a cursor search
// from the root on the one goroutine that applies a backlog, and each a
// leaf its commit rewrites. The status, type and due-date lists read
// idx-status-type and idx-type-due, which hold the same cases, and a new
// case is marked in its idx-status-type entry's value (derivedidx.go);
// its blinded personnummer are in its case-ids entry's value, where
// idx-patient, keyed by the same id, held them (schema 7, patientidx.go).
func TestBacklogIndexEntriesPerCase(t *testing.T) {
	const n = 3000
	e := appliedBacklog(t, 750, n/1000)
	got := caseIndexEntries(t, e.db)
	total := 0
	for _, name := range slices.Sorted(maps.Keys(got)) {
		t.Logf("%-24s %5d entries, %.2f per case", name, got[name], float64(got[name])/n)
		total += got[name]
	}
	if perCase, want := float64(total)/n, 3.0; perCase > want {
		t.Errorf("%.2f index entries per received case, want at most %.0f", perCase, want)
	}
	for _, name := range []string{"idx-status", "idx-type", "idx-due", "idx-new", "idx-patient"} {
		if _, ok := got[name]; ok {
			t.Errorf("the store holds %s, which idx-status-type, idx-type-due or case-ids holds", name)
		}
	}
}

// derivedStore holds cases of every status and type, open ones with and
// without due dates (due order unlike id order, and ties), some assigned.
func derivedStore(t *testing.T) (*DB, string, []*cases.Case) {
	t.Helper()
	db, dir := testStore(t)
	sts := cases.Statuses()
	var cs []*cases.Case
	for i := range 300 {
		c := newCase(i, "Hej")
		c.Status = sts[i%len(sts)]
		c.Type = casetype.All[i*7%len(casetype.All)]
		if c.Status != cases.Received {
			c.Assignee = fmt.Sprintf("SE2321000016-C%03d", i%3)
		}
		c.DueAt = t0.Add(time.Duration(i*37%40) * time.Hour)
		if i%5 == 0 {
			c.DueAt = time.Time{}
		}
		cs = append(cs, c)
	}
	insert(t, db, cs...)
	return db, dir, cs
}

// checkDerivedReads: every read by status, by type and by due date gives
// exactly the cases that cs hold, in order, either way and from the
// middle, and the figures and the inbox's count of new cases count them.
func checkDerivedReads(t *testing.T, db *DB, cs []*cases.Case) {
	t.Helper()
	now := t0.Add(25 * time.Hour)
	idsOf := func(keep func(c *cases.Case) bool) []cases.ID {
		var ids []cases.ID
		for _, c := range cs {
			if keep(c) {
				ids = append(ids, c.ID)
			}
		}
		slices.Sort(ids)
		return ids
	}
	var due []*cases.Case
	for _, c := range cs {
		if c.Status.Open() && !c.DueAt.IsZero() && c.DueAt.Before(now) {
			due = append(due, c)
		}
	}
	slices.SortFunc(due, func(a, b *cases.Case) int {
		return cmp.Or(a.DueAt.Compare(b.DueAt), strings.Compare(string(a.ID), string(b.ID)))
	})
	var wantDue []cases.ID
	for _, c := range due {
		wantDue = append(wantDue, c.ID)
	}
	type query struct {
		idx    cases.Index
		values []string
		want   []cases.ID
	}
	var qs []query
	sts := cases.Statuses()
	for i, st := range sts {
		qs = append(qs, query{cases.ByStatus, []string{string(st)}, idsOf(func(c *cases.Case) bool { return c.Status == st })})
		two := sts[(i+1)%len(sts)]
		qs = append(qs, query{cases.ByStatus, []string{string(st), string(two)}, idsOf(func(c *cases.Case) bool { return c.Status == st || c.Status == two })})
	}
	for _, ty := range append(slices.Clone(casetype.All), "unknown") {
		qs = append(qs, query{cases.ByType, []string{string(ty)}, idsOf(func(c *cases.Case) bool { return c.Type == ty })})
	}
	qs = append(qs, query{cases.ByType, []string{string(casetype.All[0]), string(casetype.All[1])},
		idsOf(func(c *cases.Case) bool { return c.Type == casetype.All[0] || c.Type == casetype.All[1] })})
	err := db.View(ctx, func(tx cases.ReadTx) error {
		collect := func(run func(fn func(cases.ID) bool) error) []cases.ID {
			var ids []cases.ID
			if err := run(func(id cases.ID) bool { ids = append(ids, id); return true }); err != nil {
				t.Fatal(err)
			}
			return ids
		}
		for _, q := range qs {
			name := fmt.Sprintf("%s %v", q.idx, q.values)
			if got := collect(func(fn func(cases.ID) bool) error { return tx.LookupAny(q.idx, q.values, fn) }); !slices.Equal(got, q.want) {
				t.Errorf("LookupAny %s: %v, want %v", name, got, q.want)
			}
			if len(q.values) == 1 {
				if got := collect(func(fn func(cases.ID) bool) error { return tx.Lookup(q.idx, q.values[0], fn) }); !slices.Equal(got, q.want) {
					t.Errorf("Lookup %s: %v, want %v", name, got, q.want)
				}
			}
			rev := slices.Clone(q.want)
			slices.Reverse(rev)
			if got := collect(func(fn func(cases.ID) bool) error { return tx.Scan(q.idx, q.values, cases.Walk{Desc: true}, fn) }); !slices.Equal(got, rev) {
				t.Errorf("Scan %s newest first: %v, want %v", name, got, rev)
			}
			if len(q.want) < 2 {
				continue
			}
			mid := len(q.want) / 2
			after := q.want[mid]
			if got := collect(func(fn func(cases.ID) bool) error { return tx.Scan(q.idx, q.values, cases.Walk{After: after}, fn) }); !slices.Equal(got, q.want[mid+1:]) {
				t.Errorf("Scan %s after %s: %v, want %v", name, after, got, q.want[mid+1:])
			}
			if got, want := collect(func(fn func(cases.ID) bool) error {
				return tx.Scan(q.idx, q.values, cases.Walk{After: after, Desc: true}, fn)
			}), rev[len(q.want)-mid:]; !slices.Equal(got, want) {
				t.Errorf("Scan %s before %s: %v, want %v", name, after, got, want)
			}
		}
		var got []cases.ID
		if err := tx.DueBefore(now, func(id cases.ID, _ time.Time) bool { got = append(got, id); return true }); err != nil {
			return err
		}
		if !slices.Equal(got, wantDue) {
			t.Errorf("DueBefore: %v, want %v", got, wantDue)
		}
		for _, desc := range []bool{false, true} {
			if len(due) == 0 {
				break
			}
			want := slices.Clone(due)
			if desc {
				slices.Reverse(want)
			}
			mid := want[len(want)/2]
			var got []cases.ID
			err := tx.DueScan(cases.ByDue, "", now, cases.DuePos{Due: mid.DueAt, ID: mid.ID}, desc, func(id cases.ID, at time.Time) bool {
				got = append(got, id)
				return true
			})
			if err != nil {
				return err
			}
			var wantIDs []cases.ID
			for _, c := range want[len(want)/2+1:] {
				wantIDs = append(wantIDs, c.ID)
			}
			if !slices.Equal(got, wantIDs) {
				t.Errorf("DueScan (desc %v) from %s: %v, want %v", desc, mid.ID, got, wantIDs)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := db.Figures(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if got, want := f.ByStatus[st], len(idsOf(func(c *cases.Case) bool { return c.Status == st })); got != want {
			t.Errorf("figures: %d cases %s, want %d", got, st, want)
		}
	}
	if f.Overdue != len(wantDue) {
		t.Errorf("figures: %d overdue, want %d", f.Overdue, len(wantDue))
	}
	if got, want := countFresh(t, db), len(idsOf(cases.IsFresh)); got != want {
		t.Errorf("%d new cases counted, want %d", got, want)
	}
}

// TestDerivedReads: the lists by status, by type and by due date read
// idx-status-type and idx-type-due exactly.
func TestDerivedReads(t *testing.T) {
	db, _, cs := derivedStore(t)
	checkDerivedReads(t, db, cs)
}

// asSchema4 makes db's file look as schema 4 left it: the retired
// buckets back, holding every case's entries, and the schema 4; nothing
// if it has them.
func asSchema4(t testing.TB, db *DB) {
	t.Helper()
	asSchema6(t, db) // idx-patient too (patientidx.go)
	err := db.update(func(btx *bolt.Tx) error {
		if btx.Bucket([]byte(bucketByStatus)) != nil {
			return nil
		}
		tt := db.newTx(btx)
		bs := map[string]*bolt.Bucket{}
		for _, name := range retiredBuckets {
			b, err := btx.CreateBucketIfNotExists([]byte(name))
			if err != nil {
				return err
			}
			bs[name] = b
		}
		c := tt.caseCursor()
		for id, k, v := c.First(); id != nil; id, k, v = c.Next() {
			cs, err := tt.decodeCase(id, k, v)
			if err != nil {
				return err
			}
			put := func(name string, key []byte) {
				if err == nil {
					err = bs[name].Put(key, nil)
				}
			}
			put(bucketByStatus, catKey([]byte(cs.Status), sep, id))
			put(bucketByType, catKey([]byte(cs.Type), sep, id))
			if cs.Status.Open() && !cs.DueAt.IsZero() {
				put(bucketByDue, catKey(timeKey(cs.DueAt), id))
			}
			if cases.IsFresh(cs) {
				put(bucketFresh, slices.Clone(id))
			}
			if err != nil {
				return err
			}
		}
		// Schema 4 did not mark the new cases in idx-status-type.
		st := btx.Bucket([]byte(bucketByStatusType))
		var marked [][]byte
		st.ForEach(func(k, v []byte) error {
			if len(v) > 0 {
				marked = append(marked, slices.Clone(k))
			}
			return nil
		})
		for _, k := range marked {
			if err := st.Put(k, nil); err != nil {
				return err
			}
		}
		meta := btx.Bucket([]byte(bucketMeta))
		if err := meta.Delete(keyFreshMarked); err != nil {
			return err
		}
		if err := meta.Put(keyFreshIndexed, []byte{1}); err != nil {
			return err
		}
		return meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, 4))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func schemaOf(t testing.TB, db *DB) uint32 {
	t.Helper()
	var v uint32
	if err := db.view(func(btx *bolt.Tx) (err error) { v, err = readSchema(btx); return err }); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSchema4Migrates: a schema-4 store, and a backup of one restored,
// open as schema 5 without the retired buckets, and every list reads
// what it did; one whose list indexes were still to fill fills them
// first from the retired buckets.
func TestSchema4Migrates(t *testing.T) {
	for _, tt := range []struct {
		name    string
		strip   bool
		restore bool
	}{{"plain", false, false}, {"lists to fill", true, false}, {"restored backup", false, true}} {
		t.Run(tt.name, func(t *testing.T) {
			db, dir, cs := derivedStore(t)
			if tt.strip {
				stripListIndexes(t, db, "")
			}
			asSchema4(t, db)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if tt.restore {
				db = backupRestoreOpen(t, dir, 4)
			} else {
				db = openAt(t, dir)
			}
			if v := schemaOf(t, db); v != schemaVersion {
				t.Errorf("schema %d after the open, want %d", v, schemaVersion)
			}
			got := caseIndexEntries(t, db)
			for _, name := range retiredBuckets {
				if _, ok := got[name]; ok {
					t.Errorf("bucket %s is still there", name)
				}
			}
			checkDerivedReads(t, db, cs)
			if _, err := db.verifySealed(ctx, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRetiredBucketIsDamage: a schema-5 store holding a retired bucket,
// or a schema-4 store lacking one, is refused as damaged.
func TestRetiredBucketIsDamage(t *testing.T) {
	for _, schema4 := range []bool{false, true} {
		db, dir, _ := derivedStore(t)
		err := db.update(func(btx *bolt.Tx) error {
			if schema4 {
				if _, err := btx.CreateBucket([]byte(bucketByStatus)); err != nil {
					return err
				}
				return btx.Bucket([]byte(bucketMeta)).Put(keySchema, binary.BigEndian.AppendUint32(nil, 4))
			}
			_, err := btx.CreateBucket([]byte(bucketByDue))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		_, err = Open(ctx, filepath.Join(dir, "store.db"), mustKEK(t, dir), Options{Unit: testUnit})
		if !errors.Is(err, ErrDamaged) {
			t.Errorf("schema 4 %v: open gave %v, want damage", schema4, err)
		}
	}
}

// TestFreshMarkLeavesWithHistory: a received case that gets an event and
// stays received (a follow-up) is no longer new: its idx-status-type
// entry keeps its key and loses the mark.
func TestFreshMarkLeavesWithHistory(t *testing.T) {
	db, _ := testStore(t)
	cs := []*cases.Case{newCase(1, "Hej"), newCase(2, "Hej")}
	insert(t, db, cs...)
	if n := countFresh(t, db); n != 2 {
		t.Fatalf("%d new cases, want 2", n)
	}
	c := *cs[0]
	c.Version = 2
	c.History = append(slices.Clone(c.History), cases.Event{At: c.ReceivedAt, Actor: "patient", Action: cases.Receive, To: cases.Received})
	if err := db.Update(ctx, func(tx cases.Tx) error { return tx.Update(&c) }); err != nil {
		t.Fatal(err)
	}
	if n := countFresh(t, db); n != 1 {
		t.Errorf("after a follow-up on one: %d new cases, want 1", n)
	}
	checkDerivedReads(t, db, []*cases.Case{&c, cs[1]})
}
