package store

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

// readEntry is the access-log entry of staff member n's read of c.
func readEntry(n int, c *cases.Case) audit.Entry {
	return audit.Entry{Time: t0, Actor: fmt.Sprintf("SE2321000016-R%03d", n), Unit: testUnit, Action: string(cases.Read),
		CaseID: string(c.ID), Patient: string(c.Patient.PNR), Outcome: audit.Allowed}
}

// TestSharedGroupsConcurrentReads (issue 18, item 4): reads that arrive
// while a commit is under way share the next one. The first caller's fn
// holds its transaction open until every other caller is queued; then the
// queued ones must go in one commit, each entry in the chain once.
func TestSharedGroupsConcurrentReads(t *testing.T) {
	db, _ := testStore(t)
	c := newCase(1, text2k)
	insert(t, db, c)
	const n = 32
	release := make(chan struct{})
	first := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, n)
	wg.Go(func() {
		errs[0] = db.Shared(ctx, func(tx cases.Tx) error {
			select {
			case <-first:
			default:
				close(first)
			}
			<-release
			if _, err := tx.Case(c.ID); err != nil {
				return err
			}
			return tx.AppendAudit(readEntry(0, c))
		})
	})
	<-first
	for i := 1; i < n; i++ {
		wg.Go(func() {
			errs[i] = db.Shared(ctx, func(tx cases.Tx) error {
				if _, err := tx.Case(c.ID); err != nil {
					return err
				}
				return tx.AppendAudit(readEntry(i, c))
			})
		})
	}
	for queued := 0; queued < n-1; runtime.Gosched() {
		db.group.mu.Lock()
		queued = len(db.group.queue)
		db.group.mu.Unlock()
	}
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if got := db.group.commits; got != 2 {
		t.Errorf("%d reads made %d commits, want 2 (the first alone, the %d queued behind it together)", n, got, n-1)
	}
	actors := map[string]int{}
	err := db.View(ctx, func(tx cases.ReadTx) error {
		return tx.AuditByPatient(c.Patient.PNR, func(r audit.Record) bool { actors[r.Entry.Actor]++; return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if a := readEntry(i, c).Actor; actors[a] != 1 {
			t.Errorf("%s's read is in the access log %d times, want once", a, actors[a])
		}
	}
	if rep, err := db.VerifyAudit(ctx); err != nil || rep.Entries != n+1 {
		t.Errorf("the access log after the group: %d entries, %v; want %d, nil", rep.Entries, err, n+1)
	}
}

// TestSharedFailingMemberAlone: a fn that fails in a group fails alone
// and writes nothing; the others in its group are committed.
func TestSharedFailingMemberAlone(t *testing.T) {
	db, _ := testStore(t)
	c := newCase(1, text2k)
	insert(t, db, c)
	release := make(chan struct{})
	first := make(chan struct{})
	boom := errors.New("boom")
	var wg sync.WaitGroup
	var errFirst, errBad, errGood error
	wg.Go(func() {
		errFirst = db.Shared(ctx, func(tx cases.Tx) error {
			select {
			case <-first:
			default:
				close(first)
			}
			<-release
			return tx.AppendAudit(readEntry(0, c))
		})
	})
	<-first
	wg.Go(func() {
		errBad = db.Shared(ctx, func(tx cases.Tx) error {
			if err := tx.AppendAudit(readEntry(1, c)); err != nil {
				return err
			}
			return boom // after a write: it must not stay
		})
	})
	wg.Go(func() {
		errGood = db.Shared(ctx, func(tx cases.Tx) error {
			return tx.AppendAudit(readEntry(2, c))
		})
	})
	for queued := 0; queued < 2; runtime.Gosched() {
		db.group.mu.Lock()
		queued = len(db.group.queue)
		db.group.mu.Unlock()
	}
	close(release)
	wg.Wait()
	if errFirst != nil || errGood != nil || !errors.Is(errBad, boom) {
		t.Fatalf("first %v, good %v, bad %v (want nil, nil, boom)", errFirst, errGood, errBad)
	}
	actors := map[string]int{}
	err := db.View(ctx, func(tx cases.ReadTx) error {
		return tx.AuditByPatient(c.Patient.PNR, func(r audit.Record) bool { actors[r.Entry.Actor]++; return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	if actors[readEntry(0, c).Actor] != 1 || actors[readEntry(2, c).Actor] != 1 || actors[readEntry(1, c).Actor] != 0 {
		t.Errorf("access log after a failing member: %v; want R000 and R002 once, R001 never", actors)
	}
	if _, err := db.VerifyAudit(ctx); err != nil {
		t.Error(err)
	}
}

// BenchmarkReadsConcurrent: 32 staff reading at once, each read with its
// access-log entry: one commit each (Update) against group commit
// (Shared). Reports commits per read.
func BenchmarkReadsConcurrent(b *testing.B) {
	for _, mode := range []string{"update", "shared"} {
		b.Run(mode, func(b *testing.B) {
			db, _ := testStore(b)
			c := newCase(1, text2k)
			insert(b, db, c)
			run := db.Update
			if mode == "shared" {
				run = db.Shared
			}
			b.SetParallelism(16) // 32 goroutines on 2 cores
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					err := run(ctx, func(tx cases.Tx) error {
						if _, err := tx.Case(c.ID); err != nil {
							return err
						}
						return tx.AppendAudit(readEntry(0, c))
					})
					if err != nil {
						b.Error(err)
					}
				}
			})
			commits := db.group.commits
			if mode == "update" {
				commits = b.N
			}
			b.ReportMetric(float64(commits)/float64(b.N), "commits/read")
		})
	}
}
