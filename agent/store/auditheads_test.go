package store

import (
	"fmt"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/personnummer"
)

// TestAuditPatientHeadBytes: what moving the patient heads writes per
// access-log record, over a backlog's receive entries of 20,000
// patients. The heads' keys are random, so each move rewrites nearly
// every page of their bucket, whose size grows with the patients: moved
// every 4096 records, they wrote 240 bytes per record at 32,000 records,
// more than the record's own entry in the log.
func TestAuditPatientHeadBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("32,000 access-log records")
	}
	db, _ := testStore(t)
	ps := db.bolt.Info().PageSize
	const commits, perCommit, patients = 32, 1000, 20000
	before := filePages(t, db)
	written, n := 0, 0
	for range commits {
		err := db.Update(ctx, func(tx cases.Tx) error {
			for range perCommit {
				p := n % patients
				n++
				pnr := personnummer.Synthetic(time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, p/20), 980+p%20)
				if err := tx.AppendAudit(audit.Entry{Time: t0, Actor: "system", Unit: testUnit, Action: string(cases.Receive),
					CaseID: fmt.Sprintf("c%025d", n), Patient: string(pnr), Outcome: audit.Allowed}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		after := filePages(t, db)
		written += pagesWritten(before, after)[bucketAuditPatientHead]
		before = after
	}
	perRecord := float64(written*ps) / float64(n)
	t.Logf("idx-audit-patient-head: %d pages, %.0f bytes per record", written, perRecord)
	if limit := 120.0; perRecord > limit {
		t.Errorf("moving the patient heads wrote %.0f bytes per access-log record; want at most %.0f", perRecord, limit)
	}
}
