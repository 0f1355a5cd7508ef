package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// TestPurgeSeen: cases read once (Seen) are purged without being opened
// again, their index entries and aggregates exactly as PurgeCases leaves
// them (every index holds exactly the entries of the cases left; the
// aggregates equal a recount), the done setting removed in the same
// commit; a case written after it was seen is kept with its change, a
// case only resealed since (a key rotation) is purged, a case gone is
// skipped, and a pending outbound change refuses the whole purge.
func TestPurgeSeen(t *testing.T) {
	db, _ := testStore(t)
	var all []*cases.Case
	for i := range 120 {
		c := newCase(i, text2k)
		c.Type = casetype.All[i%len(casetype.All)]
		switch i % 4 {
		case 1:
			c.Status, c.Assignee = cases.Assigned, fmt.Sprintf("SE2321000016-%04d", i%3)
		case 2:
			c.Status, c.Assignee, c.AnsweredAt = cases.Answered, "SE2321000016-0001", c.ReceivedAt.Add(time.Hour)
		case 3:
			c.Status, c.Assignee, c.AnsweredAt, c.ClosedAt = cases.Closed, "SE2321000016-0002", c.ReceivedAt.Add(time.Hour), c.ReceivedAt.Add(2*time.Hour)
		}
		if i%7 == 0 {
			g := newCase(i+1000, "").Patient
			c.Guardian = &g
		}
		all = append(all, c)
	}
	insert(t, db, all...)
	buckets := map[string]bool{}
	var seen []Seen
	err := db.View(ctx, func(rtx cases.ReadTx) error {
		for _, c := range all {
			for _, e := range rtx.(*tx).indexValuesOf(c).entries(c.ID) {
				buckets[e.bucket] = true
			}
		}
		for _, c := range all[:80] {
			got, err := rtx.Case(c.ID)
			if err != nil {
				return err
			}
			s, err := rtx.(SeenReader).Seen(got)
			if err != nil {
				return err
			}
			seen = append(seen, s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// After the read: case 5 changes, case 9 is purged already.
	changed, gone := all[5].ID, all[9].ID
	err = db.Update(ctx, func(tx cases.Tx) error {
		c, err := tx.Case(changed)
		if err != nil {
			return err
		}
		c.Status, c.Assignee, c.Version = cases.Received, "", c.Version+1
		return tx.Update(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PurgeCases(ctx, []cases.ID{gone}, func(*cases.Case) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.PutSetting(ctx, "archive/journal/p1", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	// A pending change refuses the purge.
	err = db.Update(ctx, func(tx cases.Tx) error {
		return tx.Enqueue(cases.Outbound{Key: "k1", CaseID: all[3].ID, Kind: cases.OutboundStatus, At: t0, Status: cases.Closed})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.PurgeSeen(ctx, seen, "archive/journal/p1"); !errors.Is(err, ErrPendingOutbound) {
		t.Fatalf("purge with a pending change: %v", err)
	}
	if _, err := get(db, all[0].ID); err != nil {
		t.Fatalf("a refused purge removed a case: %v", err)
	}
	if err := db.Update(ctx, func(tx cases.Tx) error { return tx.Dequeue("k1") }); err != nil {
		t.Fatal(err)
	}
	// Cases 20 to 79 resealed under a new term: unchanged, purged.
	if _, err := db.RotateKey(ctx); err != nil {
		t.Fatal(err)
	}
	resealed := 0
	err = db.update(func(btx *bolt.Tx) error {
		tt := db.newTx(btx)
		for _, c := range all[20:80] {
			key := recordKey(btx, c.ID)
			raw := btx.Bucket([]byte(bucketCases)).Get(key)
			plain, err := tt.s.open(bucketCases, key, raw)
			if err != nil {
				return err
			}
			sealed, err := tt.s.seal(bucketCases, key, plain)
			if err != nil {
				return err
			}
			if err := btx.Bucket([]byte(bucketCases)).Put(key, sealed); err != nil {
				return err
			}
			resealed++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	before := db.casesDecoded.Load()
	purged, kept, err := db.PurgeSeen(ctx, seen, "archive/journal/p1")
	if err != nil {
		t.Fatal(err)
	}
	if decoded := db.casesDecoded.Load() - before; decoded != uint64(1+resealed) {
		t.Errorf("the purge decoded %d cases; want %d (the changed one and the resealed ones)", decoded, 1+resealed)
	}
	if purged != 78 || !slices.Equal(kept, []cases.ID{changed}) {
		t.Errorf("purged %d, kept %v; want 78, [%s]", purged, kept, changed)
	}
	if _, err := db.Setting(ctx, "archive/journal/p1"); !errors.Is(err, ErrNoSetting) {
		t.Errorf("the done setting: %v", err)
	}
	if c, err := get(db, changed); err != nil || c.Status != cases.Received {
		t.Errorf("the changed case: %v, %v", c, err)
	}
	left := []*cases.Case{}
	for _, c := range all {
		got, err := get(db, c.ID)
		if errors.Is(err, cases.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		left = append(left, got)
	}
	if len(left) != 120-79 {
		t.Errorf("%d cases left, want %d", len(left), 120-79)
	}
	checkIndexesExact(t, db, buckets, left)
	if diffs, err := db.RecountStats(ctx); err != nil || len(diffs) > 0 {
		t.Errorf("the aggregates differ from a recount: %v\n%s", err, joinLines(diffs))
	}
	// Seen again (a package purged twice): nothing left to do.
	if purged, kept, err := db.PurgeSeen(ctx, seen[:20], ""); err != nil || purged != 0 || !slices.Equal(kept, []cases.ID{changed}) {
		t.Errorf("purged again: %d, %v, %v", purged, kept, err)
	}
}

// checkIndexesExact fails t unless each index bucket holds exactly the
// entries of the cases left.
func checkIndexesExact(t *testing.T, db *DB, buckets map[string]bool, left []*cases.Case) {
	t.Helper()
	err := db.bolt.View(func(btx *bolt.Tx) error {
		tt := db.newTx(btx)
		want := map[string]map[string][]byte{}
		for b := range buckets {
			want[b] = map[string][]byte{}
		}
		for _, c := range left {
			for _, e := range tt.indexValuesOf(c).entries(c.ID) {
				want[e.bucket][string(e.key)] = e.value
			}
		}
		for b := range buckets {
			n := 0
			err := btx.Bucket([]byte(b)).ForEach(func(k, v []byte) error {
				n++
				w, ok := want[b][string(k)]
				if !ok {
					t.Errorf("index %s: an entry of no case left (%x)", b, k)
				} else if w != nil && !bytes.Equal(w, v) {
					t.Errorf("index %s: entry %x holds another value", b, k)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if n < len(want[b]) {
				t.Errorf("index %s: %d entries, want %d", b, n, len(want[b]))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
