package store

import (
	crand "crypto/rand"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/workday"
)

// dueListStore holds, at now, 300 open overdue cases of one type assigned
// to clinician C000, a few of another type or clinician among them,
// closed overdue-looking history and open cases due later, in id order of
// arrival.
func dueListStore(t *testing.T) (*DB, string, *cases.Service, time.Time, []*cases.Case) {
	t.Helper()
	db, dir := testStore(t)
	now := t0.Add(30 * 24 * time.Hour)
	var cs []*cases.Case
	for i := range 400 {
		c := newCase(i, "Hej")
		id, err := caseid.New(c.ReceivedAt, crand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		c.ID = id
		c.Type, c.Assignee, c.Status = casetype.BookAppointment, "SE2321000016-C000", cases.Assigned
		c.DueAt = now.Add(-time.Duration(400-i) * time.Hour) // overdue, earliest first
		switch {
		case i%100 == 7: // a few of another type, unassigned
			c.Type, c.Assignee, c.Status = casetype.RenewPrescription, "", cases.Received
		case i%100 == 31: // a few of another clinician
			c.Assignee = "SE2321000016-C001"
		case i%100 == 53: // of both
			c.Type, c.Assignee = casetype.RenewPrescription, "SE2321000016-C001"
		case i%4 == 3: // history: closed, never listed as due
			c.Status = cases.Closed
		case i%9 == 4: // due tonight, not overdue
			c.DueAt = now.Add(time.Duration(i%5+1) * time.Minute)
		case i%9 == 5: // due next week
			c.DueAt = now.Add(7 * 24 * time.Hour)
		}
		cs = append(cs, c)
	}
	insert(t, db, cs...)
	svc, err := cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: db, Clock: clocktest.New(now),
		Rand: mrand.NewChaCha8([32]byte{'d'}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return db, dir, svc, now, cs
}

// TestDueListsReadWhatTheyShow: the overdue and due-today views, and the
// open view due first, filtered by case type, by clinician (a clinician's
// own, or the distributor's choice) or both, read about as many cases as they show, whatever else is
// overdue; and they show exactly the cases a walk of every case selects,
// in (due, id) order, page by page either way.
func TestDueListsReadWhatTheyShow(t *testing.T) {
	db, _, svc, now, cs := dueListStore(t)
	testDueLists(t, db, svc, now, cs)
}

func testDueLists(t *testing.T, db *DB, svc *cases.Service, now time.Time, cs []*cases.Case) {
	t.Helper()
	dist := cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-D001", Roles: []cases.Role{cases.Distributor}}
	clin := func(hsa string) cases.Actor {
		return cases.Actor{Kind: cases.Staff, HSAID: hsa, Roles: []cases.Role{cases.Clinician}}
	}
	y, m, d := now.In(workday.Stockholm()).Date()
	tonight := time.Date(y, m, d+1, 0, 0, 0, 0, workday.Stockholm())
	for _, tt := range []struct {
		name  string
		actor cases.Actor
		f     cases.Filter
	}{
		{"overdue, one type", dist, cases.Filter{Overdue: true, Type: casetype.RenewPrescription}},
		{"overdue, one clinician", dist, cases.Filter{Overdue: true, Assignee: "SE2321000016-C001"}},
		{"overdue, type and clinician", dist, cases.Filter{Overdue: true, Type: casetype.RenewPrescription, Assignee: "SE2321000016-C001"}},
		{"overdue, the clinician's own", clin("SE2321000016-C001"), cases.Filter{Overdue: true}},
		{"overdue, the clinician's own of one type", clin("SE2321000016-C001"), cases.Filter{Overdue: true, Type: casetype.BookAppointment}},
		{"due today, one type", dist, cases.Filter{DueBy: tonight, Type: casetype.RenewPrescription}},
		{"due today, the clinician's own", clin("SE2321000016-C001"), cases.Filter{DueBy: tonight}},
		{"due today, a busy clinician's own", clin("SE2321000016-C000"), cases.Filter{DueBy: tonight}},
		{"overdue, everything", dist, cases.Filter{Overdue: true}},
		{"due first, one type", dist, cases.Filter{Status: listOpen, Type: casetype.RenewPrescription, DueFirst: true}},
		{"due first, the clinician's own", clin("SE2321000016-C001"), cases.Filter{Status: listOpen, DueFirst: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// What a walk of every case selects, in (due, id) order.
			limit := tt.f.DueBy
			switch {
			case tt.f.Overdue:
				limit = now
			case limit.IsZero(): // due first: every open case
				limit = now.AddDate(10, 0, 0)
			}
			assignee := tt.f.Assignee
			if tt.actor.Has(cases.Clinician) {
				assignee = tt.actor.HSAID
			}
			var want []cases.ID
			due := slices.Clone(cs)
			slices.SortStableFunc(due, func(a, b *cases.Case) int { return a.DueAt.Compare(b.DueAt) })
			for _, c := range due {
				if c.Status.Open() && c.DueAt.Before(limit) && (tt.f.Type == "" || c.Type == tt.f.Type) && (assignee == "" || c.Assignee == assignee) {
					want = append(want, c.ID)
				}
			}
			if len(want) == 0 {
				t.Fatal("the filter selects nothing: the test tests nothing")
			}
			const page = 7
			var got []cases.ID
			f := tt.f
			f.Limit = page
			for {
				before := db.casesDecoded.Load()
				out, err := svc.List(ctx, tt.actor, f)
				if err != nil {
					t.Fatal(err)
				}
				// A page reads its cases, the one at its edge (f.After)
				// and, at most, one beyond the end of its list.
				if read, most := db.casesDecoded.Load()-before, uint64(len(out)+2); read > most {
					t.Errorf("a page of %d cases decoded %d cases, want at most %d", len(out), read, most)
				}
				for _, c := range out {
					got = append(got, c.ID)
				}
				if len(out) < page {
					break
				}
				f.After = out[len(out)-1].ID
			}
			if !slices.Equal(got, want) {
				t.Fatalf("paged forwards: %d cases %v,\nwant %d %v", len(got), got, len(want), want)
			}
			// And back from the last: the page before the last case, in
			// the same order.
			f = tt.f
			f.Limit, f.Before = page, want[len(want)-1]
			out, err := svc.List(ctx, tt.actor, f)
			if err != nil {
				t.Fatal(err)
			}
			var back []cases.ID
			for _, c := range out {
				back = append(back, c.ID)
			}
			if from := max(len(want)-1-page, 0); !slices.Equal(back, want[from:len(want)-1]) {
				t.Errorf("the page before the last: %v, want %v", back, want[from:len(want)-1])
			}
		})
	}
}

// TestDueIndexesFollowChanges: a case that is assigned, reassigned, closed
// or purged leaves its old place in the due-date lists and takes its new one.
func TestDueIndexesFollowChanges(t *testing.T) {
	db, _, svc, now, cs := dueListStore(t)
	err := db.Update(ctx, func(tx cases.Tx) error {
		for i, c := range cs {
			cur, err := tx.Case(c.ID)
			if err != nil {
				return err
			}
			switch i % 5 {
			case 0:
				cur.Assignee = fmt.Sprintf("SE2321000016-C%03d", i%3)
				if cur.Status == cases.Received {
					cur.Status = cases.Assigned
				}
			case 1:
				if cur.Status.Open() {
					cur.Status = cases.Answered
				}
			case 2:
				cur.Type = casetype.RenewPrescription
			default:
				continue
			}
			cur.Version++
			if err := tx.Update(cur); err != nil {
				return err
			}
			cs[i] = cur
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	testDueLists(t, db, svc, now, cs)
}

// TestDueIndexBackfill: a store made before the filtered due-date indexes
// has its open cases in them after the next open, and its lists read what
// they show.
func TestDueIndexBackfill(t *testing.T) {
	db, dir, _, now, cs := dueListStore(t)
	asSchema4(t, db) // they are filled from the retired indexes (derivedidx.go)
	err := db.update(func(btx *bolt.Tx) error {
		for _, name := range []string{bucketByTypeDue, bucketByAssigneeDue, bucketByTypeAssigneeDue} {
			if err := btx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return btx.Bucket([]byte(bucketMeta)).Delete(keyDueIndexed)
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openAt(t, dir)
	svc, err := cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: db, Clock: clocktest.New(now),
		Rand: mrand.NewChaCha8([32]byte{'d'}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	testDueLists(t, db, svc, now, cs)
}
