package store

import (
	"fmt"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/casetype"
)

// scanIDs lists what Scan finds.
func scanIDs(t *testing.T, db *DB, idx cases.Index, values []string, w cases.Walk) []cases.ID {
	t.Helper()
	var ids []cases.ID
	err := db.View(ctx, func(tx cases.ReadTx) error {
		return tx.Scan(idx, values, w, func(id cases.ID) bool { ids = append(ids, id); return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestSchema2FixtureGetsListIndexes: a store an older clinicgw wrote has
// its cases in the list indexes after the first open.
func TestSchema2FixtureGetsListIndexes(t *testing.T) {
	db, _ := openFixture(t, clocktest.New(fixFixtureClock.Add(24*time.Hour)))
	all := make([]string, 0, 7)
	for _, st := range cases.Statuses() {
		all = append(all, cases.IndexKey(string(st), fixClinic))
	}
	if got, want := scanIDs(t, db, cases.ByStatusAssignee, all, cases.Walk{}), []cases.ID{fixAnswered, fixWaiting}; !slices.Equal(got, want) {
		t.Errorf("the clinician's cases after the upgrade: %v, want %v", got, want)
	}
	if got, want := scanIDs(t, db, cases.ByStatusAssignee, []string{cases.IndexKey(string(cases.WaitingForPatient), fixClinic)}, cases.Walk{}), []cases.ID{fixWaiting}; !slices.Equal(got, want) {
		t.Errorf("the clinician's waiting cases after the upgrade: %v, want %v", got, want)
	}
	var types []string
	for _, st := range cases.Statuses() {
		for _, ty := range casetype.All {
			types = append(types, cases.IndexKey(string(st), string(ty)))
		}
	}
	if got := scanIDs(t, db, cases.ByStatusType, types, cases.Walk{Desc: true}); !slices.Equal(got, []cases.ID{fixWaiting, fixAnswered, fixWeekend}) {
		t.Errorf("every case by status and type, newest first: %v", got)
	}
}

// stripListIndexes makes db look as a store made before the list indexes,
// or one whose back-fill stopped after the case after (when not "").
func stripListIndexes(t testing.TB, db *DB, after cases.ID) {
	t.Helper()
	asSchema4(t, db) // they are filled from the retired indexes (derivedidx.go)
	err := db.update(func(btx *bolt.Tx) error {
		for _, name := range []string{bucketByStatusAssignee, bucketByStatusType, bucketByStatusTypeAssignee} {
			if err := btx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		meta := btx.Bucket([]byte(bucketMeta))
		if after != "" {
			return meta.Put(keyListIndexed, catKey([]byte{0}, []byte(after)))
		}
		return meta.Delete(keyListIndexed)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestListIndexBackfill: cases stored before the list indexes are put in
// them at the next open, in batches, and a back-fill that stopped goes on
// from where it was.
func TestListIndexBackfill(t *testing.T) {
	defer func(b int) { listIndexBatch = b }(listIndexBatch)
	listIndexBatch = 2000
	db, dir := testStore(t)
	const n = 4500 // three batches
	cs := make([]*cases.Case, n)
	for i := range cs {
		cs[i] = newCase(i, "Hej")
		cs[i].Assignee = fmt.Sprintf("SE2321000016-C%03d", i%3)
		if i%2 == 0 {
			cs[i].Status = cases.Closed
		} else {
			cs[i].Status = cases.Assigned
		}
	}
	insert(t, db, cs...)
	want := func(from int) []cases.ID {
		var ids []cases.ID
		for i := from; i < n; i++ {
			if i%3 == 1 && i%2 == 1 {
				ids = append(ids, cs[i].ID)
			}
		}
		return ids
	}
	mine := []string{cases.IndexKey(string(cases.Assigned), "SE2321000016-C001")}
	if got := scanIDs(t, db, cases.ByStatusAssignee, mine, cases.Walk{}); !slices.Equal(got, want(0)) {
		t.Fatalf("written with the cases: %d ids, want %d", len(got), len(want(0)))
	}
	for _, tt := range []struct {
		name  string
		after cases.ID
		from  int
	}{{"from scratch", "", 0}, {"resumed", cs[2999].ID, 3000}} {
		stripListIndexes(t, db, tt.after)
		db.Close()
		db = openAt(t, dir)
		if got := scanIDs(t, db, cases.ByStatusAssignee, mine, cases.Walk{}); !slices.Equal(got, want(tt.from)) {
			t.Errorf("%s: %d ids after the open, want %d", tt.name, len(got), len(want(tt.from)))
		}
		typ := []string{cases.IndexKey(string(cases.Closed), string(casetype.RenewPrescription), "SE2321000016-C000")}
		got := scanIDs(t, db, cases.ByStatusTypeAssignee, typ, cases.Walk{Desc: true})
		if len(got) == 0 || got[0] != cs[n-6].ID {
			t.Errorf("%s: closed cases of C000, newest first, start %v, want %s", tt.name, got[:min(1, len(got))], cs[n-6].ID)
		}
	}
}

// countFresh is CountFresh in a read transaction.
func countFresh(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	err := db.View(ctx, func(rtx cases.ReadTx) error {
		var ok bool
		var err error
		n, ok, err = rtx.(cases.FreshCounter).CountFresh()
		if err == nil && !ok {
			t.Error("the store says it keeps no index of new cases")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFreshIndex: idx-status-type marks the received cases never
// assigned, a case loses the mark at its assignment (and does not get it
// back when it is taken back), and a store made before the mark gets it
// at its next open; the schema-2 fixture's one received case counts.
func TestFreshIndex(t *testing.T) {
	db, dir := testStore(t)
	cs := make([]*cases.Case, 6)
	for i := range cs {
		cs[i] = newCase(i, "Hej")
	}
	cs[4].Status, cs[4].Assignee = cases.Assigned, "SE2321000016-C001"
	cs[5].Status, cs[5].Assignee = cases.Closed, "SE2321000016-C001"
	insert(t, db, cs...)
	if n := countFresh(t, db); n != 4 {
		t.Fatalf("%d new cases, want 4", n)
	}
	// Assigned, then taken back: received again, but not new.
	back := *cs[0]
	back.Version = 2
	back.History = append(slices.Clone(back.History), cases.Event{At: back.ReceivedAt, Actor: "SE2321000016-D001", Action: cases.Assign, To: cases.Assigned},
		cases.Event{At: back.ReceivedAt, Actor: "SE2321000016-D001", Action: cases.TakeBack, To: cases.Received})
	if err := db.Update(ctx, func(tx cases.Tx) error { return tx.Update(&back) }); err != nil {
		t.Fatal(err)
	}
	if n := countFresh(t, db); n != 3 {
		t.Fatalf("after one was assigned and taken back: %d new cases, want 3", n)
	}
	// An older store: schema 4, the new cases in idx-new, not marked in
	// idx-status-type (derivedidx.go).
	asSchema4(t, db)
	db.Close()
	db = openAt(t, dir)
	if n := countFresh(t, db); n != 3 {
		t.Errorf("after the back-fill: %d new cases, want 3", n)
	}

	fix, _ := openFixture(t, clocktest.New(fixFixtureClock.Add(24*time.Hour)))
	if n := countFresh(t, fix); n != 1 {
		t.Errorf("the schema-2 fixture: %d new cases, want its one received case", n)
	}
}
