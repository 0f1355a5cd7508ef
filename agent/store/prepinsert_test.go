package store

import (
	"errors"
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
	e.batch(300)
	e.batch(300)
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
	// No look in the id index for a new case whose id sorts after every
	// id in it (idBound): a backlog's ids grow, each commit's after the
	// one before's. The insert's own check that the id is free, which
	// also finds a repeat delivery, is a search from the root otherwise.
	if looked := e.db.idLookups.Load(); looked != 0 {
		t.Errorf("the transactions looked up %d case ids for 600 new cases after every stored id; want 0", looked)
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

// TestInsertFindsStoredID: an insert skips the look in the id index only
// for an id after every stored one (idBound); an id stored already, at or
// below the last, or inserted earlier in the transaction, put or still
// pending, is refused with ErrExists, and an id below the last that is
// free is taken.
func TestInsertFindsStoredID(t *testing.T) {
	db, _ := testStore(t)
	insert(t, db, newCase(10, "a"), newCase(20, "b"))
	for _, tc := range []struct {
		name  string
		first []int // inserted before, in the same transaction
		n     int
		want  error
	}{
		{"the last stored", nil, 20, cases.ErrExists},
		{"below the last, stored", nil, 10, cases.ErrExists},
		{"below the last, free", nil, 15, nil},
		{"after the last", nil, 30, nil},
		{"pending in this transaction", []int{30}, 30, cases.ErrExists},
		{"put in this transaction", []int{30, -1}, 30, cases.ErrExists},
		{"below one put in this transaction", []int{40, -1}, 30, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errStop := errors.New("roll back")
			err := db.Update(ctx, func(ctx cases.Tx) error {
				tx := ctx.(*tx)
				for _, n := range tc.first {
					if n < 0 { // a read puts what is pending
						if err := tx.putPending(); err != nil {
							return err
						}
						continue
					}
					if err := tx.Insert(newCase(n, "x")); err != nil {
						return err
					}
				}
				if err := tx.Insert(newCase(tc.n, "y")); !errors.Is(err, tc.want) {
					t.Errorf("insert of case %d: %v, want %v", tc.n, err, tc.want)
				}
				return errStop
			})
			if !errors.Is(err, errStop) {
				t.Fatal(err)
			}
		})
	}
}
