package store

import (
	"testing"
	"time"

	"clinicgw/agent/cases"
)

// TestBacklogInsertsPrepared: a page of new cases from the central
// store is inserted with the index entries, blinded personnummer and
// statistics tally made ahead of the transaction (the cases service's
// prepare stage), not on the transaction's goroutine, and what is
// stored is exactly what an insert that made them itself stores.
func TestBacklogInsertsPrepared(t *testing.T) {
	e := newBacklogEnv(t, 300)
	e.batch(600)
	e.commit()
	if built := e.db.insertsBuilt.Load(); built != 0 {
		t.Errorf("the transactions built the index entries of %d of 600 new cases themselves; want 0 (prepared ahead)", built)
	}
	// The access-log entry of each received case names its patient, whose
	// number the prepared insert blinded already: the transaction blinds
	// none (a keyed hash and a map entry each).
	if blinded := e.db.txBlinds.Load(); blinded != 0 {
		t.Errorf("the transactions blinded %d personnummer for 600 new cases; want 0 (the prepared inserts' reused)", blinded)
	}
	// One look for each new case's id in the id index: the insert's own
	// check that the id is free, which also finds a repeat delivery.
	if looked := e.db.idLookups.Load(); looked != 600 {
		t.Errorf("the transactions looked up %d case ids for 600 new cases; want 600", looked)
	}
	var all []*cases.Case
	buckets := map[string]bool{}
	err := e.db.View(ctx, func(rtx cases.ReadTx) error {
		return rtx.(*tx).Cases(func(c *cases.Case) bool {
			all = append(all, c)
			for _, ie := range rtx.(*tx).indexValuesOf(c).entries(c.ID) {
				buckets[ie.bucket] = true
			}
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 600 {
		t.Fatalf("%d cases stored, want 600", len(all))
	}
	checkIndexesExact(t, e.db, buckets, all)
	if diffs, err := e.db.RecountStats(ctx); err != nil || len(diffs) > 0 {
		t.Errorf("the aggregates differ from a recount: %v\n%s", err, joinLines(diffs))
	}
}

// TestInsertPreparedStale: prepared work that no longer fits the case
// (it changed after PrepareInsert, or the store's keys were rotated
// since) is made again in the transaction; the entries stored are the
// case's as it is.
func TestInsertPreparedStale(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(db *DB, c *cases.Case)
	}{
		{"assigned", func(_ *DB, c *cases.Case) { c.Status, c.Assignee = cases.Assigned, "SE2321000016-0001" }},
		{"guardian", func(_ *DB, c *cases.Case) { g := newCase(1001, "").Patient; c.Guardian = &g }},
		{"due", func(_ *DB, c *cases.Case) { c.DueAt = c.DueAt.Add(24 * time.Hour) }},
		{"rotated", func(db *DB, _ *cases.Case) {
			if _, err := db.RotateKey(ctx); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := testStore(t)
			c := newCase(1, "text")
			p := db.PrepareInsert(c)
			tc.change(db, c)
			err := db.Update(ctx, func(tx cases.Tx) error { return tx.(cases.PreparedInserter).InsertPrepared(c, p) })
			if err != nil {
				t.Fatal(err)
			}
			if built := db.insertsBuilt.Load(); built != 1 {
				t.Errorf("%d inserts made their own index entries; want 1 (the prepared work is stale)", built)
			}
			buckets := map[string]bool{}
			err = db.View(ctx, func(rtx cases.ReadTx) error {
				for _, ie := range rtx.(*tx).indexValuesOf(c).entries(c.ID) {
					buckets[ie.bucket] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			checkIndexesExact(t, db, buckets, []*cases.Case{c})
			if diffs, err := db.RecountStats(ctx); err != nil || len(diffs) > 0 {
				t.Errorf("the aggregates differ from a recount: %v\n%s", err, joinLines(diffs))
			}
		})
	}
}
