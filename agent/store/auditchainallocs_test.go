package store

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/personnummer"
)

// TestAuditChainAllocs: chaining the unchained tail of the patient index
// (chainTail, in the commit of a backlog's transaction whenever the tail
// is full) allocates for its records together, not a key, a blinded
// number and a value each: what is left is bbolt's own per put (a key
// copy and a cursor) and the patients' heads.
func TestAuditChainAllocs(t *testing.T) {
	db, _ := testStore(t)
	const records, patients = patientTailLen, 500
	var perRecord float64
	err := db.Update(ctx, func(ctx cases.Tx) error {
		tx := ctx.(*tx)
		for i := range records {
			p := personnummer.Synthetic(time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%patients), 980+i%20)
			e := audit.Entry{Time: t0, Actor: "system", Unit: testUnit, Action: string(cases.Receive),
				CaseID: fmt.Sprintf("c%08d", i), Patient: string(p), Outcome: audit.Allowed}
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		if err := tx.putPending(); err != nil {
			return err
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		if err := tx.chainTail(); err != nil {
			return err
		}
		runtime.ReadMemStats(&m1)
		if tx.patientUpTo() != records {
			t.Fatalf("the tail was not chained: up to %d, want %d", tx.patientUpTo(), records)
		}
		perRecord = float64(m1.Mallocs-m0.Mallocs) / records
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%.2f allocations per chained record", perRecord)
	// bbolt's Put: its copy of the key and a cursor, about 2 for each
	// record and each patient's head (5.26 a record when each record's
	// key, blinded number and value were allocations of their own).
	if limit := 2.0 + 2.0*patients/records + 1; perRecord > limit {
		t.Errorf("chaining %d records of %d patients made %.2f allocations per record; want at most %.2f (bbolt's puts alone)",
			records, patients, perRecord, limit)
	}
}
