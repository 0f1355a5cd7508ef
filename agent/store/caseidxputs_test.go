package store

import (
	"slices"
	"testing"
	"time"

	"clinicgw/agent/cases"
)

// TestCaseIndexPutSorted: a transaction's new cases' entries in the case
// id index and the case indexes are put together, each bucket's sorted,
// once its inserts are done, not one by one in the order the cases came
// (a backlog's ids are ordered only to the millisecond: put in the order
// of the page, each landed in the middle of a node and bbolt moved the
// entries after it). Every read of those indexes in the same transaction
// still finds every case, and the commit holds them all.
func TestCaseIndexPutSorted(t *testing.T) {
	idxBuckets := []string{bucketCaseIDs, bucketByStatusType, bucketByTypeDue, bucketByQueue}
	const n = 40
	cs := make([]*cases.Case, n)
	for i := range cs {
		cs[i] = newCase(n-i, "text") // descending ids
		cs[i].Group = "triage"
	}
	count := func(tx *tx, name string) int {
		got := 0
		c := tx.btx.Bucket([]byte(name)).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			got++
		}
		return got
	}
	db, _ := testStore(t)
	// Each kind of read, each in a transaction of its own, after the
	// inserts: the reader must find all n.
	reads := []struct {
		name string
		read func(cases.Tx, []*cases.Case) (int, error)
	}{
		{"Lookup by patient", func(tx cases.Tx, mine []*cases.Case) (int, error) {
			got := 0
			for _, c := range mine {
				err := tx.Lookup(cases.ByPatient, string(c.Patient.PNR), func(id cases.ID) bool {
					if id == c.ID {
						got++
					}
					return true
				})
				if err != nil {
					return 0, err
				}
			}
			return got, nil
		}},
		{"Scan by status", func(tx cases.Tx, _ []*cases.Case) (int, error) {
			got := 0
			err := tx.Scan(cases.ByStatus, []string{string(cases.Received)}, cases.Walk{}, func(cases.ID) bool { got++; return true })
			return got, err
		}},
		{"Scan by queue", func(tx cases.Tx, _ []*cases.Case) (int, error) {
			got := 0
			err := tx.Scan(cases.ByQueue, []string{"triage"}, cases.Walk{}, func(cases.ID) bool { got++; return true })
			return got, err
		}},
		{"DueBefore", func(tx cases.Tx, _ []*cases.Case) (int, error) {
			got := 0
			err := tx.DueBefore(t0.Add(1000*time.Hour), func(cases.ID, time.Time) bool { got++; return true })
			return got, err
		}},
		{"Cases", func(tx cases.Tx, _ []*cases.Case) (int, error) {
			got := 0
			err := tx.Cases(func(*cases.Case) bool { got++; return true })
			return got, err
		}},
	}
	for ri, r := range reads {
		err := db.Update(ctx, func(ctx cases.Tx) error {
			tx := ctx.(*tx)
			before := make(map[string]int)
			for _, b := range idxBuckets {
				before[b] = count(tx, b)
			}
			var mine []*cases.Case
			for _, c := range cs {
				c := *c
				c.ID = cases.ID(string(c.ID) + string(rune('a'+ri)))
				if err := tx.Insert(&c); err != nil {
					return err
				}
				mine = append(mine, &c)
			}
			for _, b := range idxBuckets {
				if got := count(tx, b) - before[b]; got != 0 {
					t.Errorf("%s: %s holds %d new keys before the transaction's inserts are done; want them put together, sorted", r.name, b, got)
				}
			}
			got, err := r.read(tx, mine)
			if err != nil {
				return err
			}
			want := n * (ri + 1) // this transaction's and the earlier ones'
			if ri == 0 {
				want = n // this transaction's
			}
			if got != want {
				t.Errorf("%s in the same transaction: %d cases, want %d", r.name, got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("check after the commits: %v", err)
	}
	err := db.View(ctx, func(rtx cases.ReadTx) error {
		tx := rtx.(*tx)
		for _, b := range idxBuckets {
			if got, want := count(tx, b), n*len(reads); got != want {
				t.Errorf("%s after the commits: %d keys, want %d", b, got, want)
			}
		}
		var ids []cases.ID
		c := tx.btx.Bucket([]byte(bucketCaseIDs)).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			ids = append(ids, cases.ID(k))
		}
		if !slices.IsSorted(ids) {
			t.Errorf("case ids out of order")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
