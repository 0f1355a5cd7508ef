package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"clinicgw/agent/cases"
)

// TestBacklogIDsNotLookedUp: a backlog's commits end where the page
// ends, not where a millisecond of the central store's ids does, so the
// next commit's first cases have ids below the id index's last, in random
// order. Whether such an id is free is known without a search of the
// index (recentids.go): every id above the last before the commit before
// is one that commit put.
func TestBacklogIDsNotLookedUp(t *testing.T) {
	e := appliedBacklog(t, 750, 6)
	if looked := e.db.idLookups.Load(); looked != 0 {
		t.Errorf("the transactions looked up %d case ids for 6000 new cases in commits of 750 from batches of 1000; want 0", looked)
	}
}

// TestRecentIDsExact: an id already stored is found whatever happened
// since it was put (a commit of other cases, a staff member's write, a
// purge, a rolled back transaction), and a purged id is free again.
func TestRecentIDsExact(t *testing.T) {
	db, _ := testStore(t)
	rnd := rand.New(rand.NewPCG(3, 4))
	var stored []*cases.Case
	n := 0
	fresh := func(k int) []*cases.Case {
		var cs []*cases.Case
		for range k {
			n++
			// Ids of one "millisecond" in random order: a prefix and a
			// random tail.
			c := newCase(n, "Hej")
			c.ID = cases.ID(fmt.Sprintf("c%03d-%012d", n/100, rnd.Uint64()%1e12))
			cs = append(cs, c)
		}
		return cs
	}
	tryInsert := func(cs ...*cases.Case) error {
		return db.Update(ctx, func(tx cases.Tx) error {
			for _, c := range cs {
				cc := *c
				cc.Version = 0
				if err := tx.Insert(&cc); err != nil {
					return err
				}
			}
			return nil
		})
	}
	expectExists := func(step string) {
		t.Helper()
		for _, c := range stored[max(0, len(stored)-40):] {
			if err := tryInsert(c); !errors.Is(err, cases.ErrExists) {
				t.Fatalf("%s: a second insert of stored case %s: %v, want ErrExists", step, c.ID, err)
			}
		}
	}
	for round := range 6 {
		cs := fresh(70)
		if err := tryInsert(cs...); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, cs...)
		expectExists(fmt.Sprintf("round %d", round))
		switch round {
		case 1: // a write of a stored case between
			c := stored[len(stored)-1]
			err := db.Update(ctx, func(tx cases.Tx) error {
				got, err := tx.Case(c.ID)
				if err != nil {
					return err
				}
				got.Assignee, got.Version = "SE2321000016-C001", got.Version+1
				return tx.Update(got)
			})
			if err != nil {
				t.Fatal(err)
			}
		case 2: // a transaction rolled back between
			_ = db.Update(ctx, func(tx cases.Tx) error {
				if err := tx.Insert(fresh(1)[0]); err != nil {
					return err
				}
				return errors.New("rolled back")
			})
		case 3: // a purge of the newest cases: their ids are free again
			gone := stored[len(stored)-5:]
			var ids []cases.ID
			for _, c := range gone {
				ids = append(ids, c.ID)
			}
			if _, err := db.PurgeCases(ctx, ids, func(*cases.Case) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if err := tryInsert(gone...); err != nil {
				t.Fatalf("the purged cases inserted again: %v", err)
			}
		}
	}
	expectExists("after all")
	ids := make([]cases.ID, len(stored))
	for i, c := range stored {
		ids[i] = c.ID
	}
	var got []cases.ID
	db.View(ctx, func(rtx cases.ReadTx) error {
		return rtx.(*tx).Cases(func(c *cases.Case) bool { got = append(got, c.ID); return true })
	})
	slices.Sort(ids)
	if !slices.Equal(got, ids) {
		t.Fatalf("%d cases stored, want %d", len(got), len(ids))
	}
}
