package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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

// TestAuditPatientChainOnePerPatient: chaining the unchained tail reads
// and writes each patient's head once, however many of the tail's
// records are about the patient (a record's link to the patient's record
// before it in the tail is known without the heads), not once per record.
// Counted as bbolt's cursors (every Get and Put makes one).
func TestAuditPatientChainOnePerPatient(t *testing.T) {
	db, _ := testStore(t)
	const records, patients = 3000, 300
	pnr := func(i int) personnummer.Personnummer {
		p := i % patients
		return personnummer.Synthetic(time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, p/20), 980+p%20)
	}
	err := db.Update(ctx, func(tx cases.Tx) error {
		for i := range records {
			if err := tx.AppendAudit(audit.Entry{Time: t0, Actor: "system", Unit: testUnit, Action: string(cases.Receive),
				CaseID: fmt.Sprintf("c%025d", i), Patient: string(pnr(i)), Outcome: audit.Allowed}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var cursors int64
	err = db.bolt.Update(func(btx *bolt.Tx) error {
		tx := db.newTx(btx)
		h, err := tx.auditHead()
		if err != nil {
			return err
		}
		tx.head = audit.Head{Seq: h.Seq + maxPatientTailLen, Hash: h.Hash} // the tail is due
		st := btx.Stats()
		before := st.GetCursorCount()
		if err := tx.chainTail(); err != nil {
			return err
		}
		st = btx.Stats()
		cursors = st.GetCursorCount() - before
		return errors.New("rolled back")
	})
	if err == nil || err.Error() != "rolled back" {
		t.Fatal(err)
	}
	t.Logf("chaining %d records of %d patients made %d cursors", records, patients, cursors)
	// A Put per record, a Get and a Put per patient, a few for the walk
	// and the meta bucket.
	if limit := int64(records + 2*patients + 20); cursors > limit {
		t.Errorf("chaining %d records of %d patients made %d cursors (%.1f per record); want at most %d", records, patients, cursors, float64(cursors)/records, limit)
	}
	// The chain reads as the log: every patient's records, newest first.
	err = db.bolt.Update(func(btx *bolt.Tx) error {
		tx := db.newTx(btx)
		h, _ := tx.auditHead()
		tx.head = audit.Head{Seq: h.Seq + maxPatientTailLen, Hash: h.Hash}
		if err := tx.chainTail(); err != nil {
			return err
		}
		for p := range patients {
			var got []uint64
			err := tx.patientChain(tx.blind(string(pnr(p))), tx.bucket(bucketAuditPatientHead).Get(tx.blind(string(pnr(p)))), func(k []byte) (bool, error) {
				got = append(got, binary.BigEndian.Uint64(k))
				return true, nil
			})
			if err != nil {
				return err
			}
			var want []uint64
			for i := records - 1; i >= 0; i-- {
				if i%patients == p {
					want = append(want, uint64(i+1))
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("patient %d's chain: %v, want %v", p, got, want)
			}
		}
		return errors.New("rolled back")
	})
	if err == nil || err.Error() != "rolled back" {
		t.Fatal(err)
	}
}
