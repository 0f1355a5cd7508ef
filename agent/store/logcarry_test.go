package store

import (
	"runtime"
	"sync"
	"testing"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

// TestReadLogCarriedByWriter (issue 18): reads whose access-log entries
// wait while another writer's transaction (the sync's) is under way are
// committed in that transaction, not in one of their own after it: a
// page waits for one commit, not two. Each entry is in the chain once,
// and every read returns once the writer's commit is on disk.
func TestReadLogCarriedByWriter(t *testing.T) {
	db, _ := testStore(t)
	c := newCase(1, text2k)
	insert(t, db, c)
	svc := inboxService(t, db, t0)
	const n = 16
	release, started := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	var errWriter error
	wg.Go(func() {
		errWriter = db.Update(ctx, func(tx cases.Tx) error {
			close(started)
			<-release
			return tx.SetSyncCursor(7)
		})
	})
	<-started
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = svc.List(ctx, inboxDist, cases.Filter{}) })
	}
	for queued := 0; queued < n; runtime.Gosched() {
		db.group.mu.Lock()
		queued = len(db.group.queue)
		db.group.mu.Unlock()
	}
	close(release)
	wg.Wait()
	if errWriter != nil {
		t.Fatal(errWriter)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if got := db.group.commits; got != 0 {
		t.Errorf("%d reads queued behind a writer made %d commits of their own, want 0 (carried by the writer's)", n, got)
	}
	reads := 0
	err := db.View(ctx, func(tx cases.ReadTx) error {
		return tx.AuditByActor(inboxDist.HSAID, func(r audit.Record) bool { reads++; return true })
	})
	if err != nil || reads != n {
		t.Errorf("%d reads in the access log (%v), want %d", reads, err, n)
	}
	if rep, err := db.VerifyAudit(ctx); err != nil || rep.Entries != n+1 {
		t.Errorf("the access log: %d entries, %v; want %d, nil", rep.Entries, err, n+1)
	}
}

// TestReadLogUnderWriters: reads and writers at once, the reads' entries
// carried by writers or committed in groups, whichever comes first: every
// call returns, each entry is in the chain once, and the chain verifies.
func TestReadLogUnderWriters(t *testing.T) {
	db, _ := testStore(t)
	insert(t, db, newCase(1, "Hej"))
	svc := inboxService(t, db, t0)
	const readers, writers, rounds = 12, 3, 25
	var wg sync.WaitGroup
	errs := make(chan error, readers*rounds+writers*rounds)
	for range readers {
		wg.Go(func() {
			for range rounds {
				if _, err := svc.List(ctx, inboxDist, cases.Filter{}); err != nil {
					errs <- err
				}
			}
		})
	}
	for w := range writers {
		wg.Go(func() {
			for i := range rounds {
				err := db.Update(ctx, func(tx cases.Tx) error { return tx.SetSyncCursor(uint64(w*rounds + i)) })
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	reads := 0
	err := db.View(ctx, func(tx cases.ReadTx) error {
		return tx.AuditByActor(inboxDist.HSAID, func(audit.Record) bool { reads++; return true })
	})
	if err != nil || reads != readers*rounds {
		t.Errorf("%d reads in the access log (%v), want %d", reads, err, readers*rounds)
	}
	if _, err := db.VerifyAudit(ctx); err != nil {
		t.Error(err)
	}
	t.Logf("group commits %d, reads carried by writers %d", db.group.commits, db.group.carried)
}
