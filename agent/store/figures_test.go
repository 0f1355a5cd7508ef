package store

import (
	"testing"
	"time"

	"clinicgw/agent/cases"
)

// TestFigures: the counts per status, overdue and outbox follow inserts,
// updates and queued changes; they come from the indexes alone.
func TestFigures(t *testing.T) {
	db, _ := testStore(t)
	var cs []*cases.Case
	for i := range 7 {
		cs = append(cs, newCase(i, "text"))
	}
	insert(t, db, cs...)
	err := db.Update(ctx, func(tx cases.Tx) error {
		for _, i := range []int{1, 2} {
			c := *cs[i]
			c.Version++
			c.Status, c.Assignee = cases.Assigned, "SE2321000016-C001"
			if err := tx.Update(&c); err != nil {
				return err
			}
		}
		c := *cs[3]
		c.Version++
		c.Status = cases.Closed // no longer open: leaves the due index
		if err := tx.Update(&c); err != nil {
			return err
		}
		for _, k := range []string{"k1", "k2"} {
			if err := tx.Enqueue(cases.Outbound{Key: k, CaseID: c.ID, Kind: cases.OutboundStatus, Status: cases.Closed}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Case n is due at t0 + n min + 48 h: at t0 + 48 h + 2.5 min cases 0,
	// 1 and 2 are due, and 3 is closed.
	f, err := db.Figures(ctx, t0.Add(48*time.Hour+150*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	want := map[cases.Status]int{cases.Received: 4, cases.Assigned: 2, cases.Closed: 1} // received: 0, 4, 5, 6
	if len(f.ByStatus) != len(want) {
		t.Errorf("by status %v, want %v", f.ByStatus, want)
	}
	for st, n := range want {
		if f.ByStatus[st] != n {
			t.Errorf("%s: %d, want %d", st, f.ByStatus[st], n)
		}
	}
	if f.Overdue != 3 || f.Outbox != 2 || f.KeyTerm != 1 || f.SizeBytes <= 0 {
		t.Errorf("figures %+v: want 3 overdue, 2 in the outbox, key term 1, a size", f)
	}
	if _, err := db.RotateKey(ctx); err != nil {
		t.Fatal(err)
	}
	if f, err = db.Figures(ctx, t0); err != nil || f.KeyTerm != 2 || f.Overdue != 0 {
		t.Errorf("after a rotation at t0: %+v, %v; want term 2, none overdue", f, err)
	}
}
