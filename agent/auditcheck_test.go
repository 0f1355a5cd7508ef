package agent

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/workday"
)

// TestAuditCheckNightly (issue 18, item 2): at audit.check_at the whole
// access log is checked and the result kept for the auditor's page; the
// night before, nothing is.
func TestAuditCheckNightly(t *testing.T) {
	const u = "SE2321000016-15ZM"
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stockholm := workday.Stockholm()
	clock := clocktest.New(time.Date(2026, 12, 7, 12, 0, 0, 0, stockholm))
	db, _ := openTestStore(t, t.TempDir(), u, clock)
	err := db.Update(ctx, func(tx cases.Tx) error {
		return tx.AppendAudit(audit.Entry{Time: clock.Now(), Actor: "system", Unit: u, Action: string(cases.Receive),
			CaseID: "c1", Patient: "197503149879", Outcome: audit.Allowed})
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(u, "Vårdcentralen Exempel")
	cfg.Audit.CheckAt = "03:15"
	a := &Agent{cfg: cfg, log: slog.New(slog.DiscardHandler), opts: Options{Clock: clock}}
	var wg sync.WaitGroup
	wg.Go(func() { a.runAuditCheck(ctx, db) })
	defer wg.Wait()
	if err := clock.BlockUntil(ctx, 1); err != nil { // the night's timer is set
		t.Fatal(err)
	}
	if _, ok, _ := db.LastFullAuditCheck(ctx); ok {
		t.Fatal("a whole check before the night came")
	}
	clock.Set(time.Date(2026, 12, 8, 3, 15, 0, 0, stockholm))
	// The timer fired; the next night's is set once the check is done.
	if err := clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	c, ok, err := db.LastFullAuditCheck(ctx)
	if err != nil || !ok || c.Error != "" || c.Entries != 1 || !c.At.Equal(clock.Now()) {
		t.Fatalf("the night's check: %+v, %v, %v; want 1 entry, no break, at 03:15", c, ok, err)
	}
	cancel()
}
