package store

import (
	"errors"
	"testing"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

// New cases and access-log records are sealed on another goroutine and put
// later (casewriter.go); within the transaction that wrote them, and after
// its commit, they read back as if put at once, across several batches.
func TestSealedLaterReadsBack(t *testing.T) {
	db, _ := testStore(t)
	const n = 3*sealBatchLen + 5
	cs := make([]*cases.Case, n)
	for i := range cs {
		cs[i] = newCase(i, "Kanarietext")
	}
	entry := func(c *cases.Case) audit.Entry {
		return audit.Entry{Time: c.ReceivedAt, Actor: "system", Unit: testUnit, Action: string(cases.Receive),
			CaseID: string(c.ID), Patient: string(c.Patient.PNR), Outcome: audit.Allowed}
	}
	countAudit := func(tx cases.ReadTx) int {
		k := 0
		if err := tx.AuditByActor("system", func(audit.Record) bool { k++; return true }); err != nil {
			t.Fatal(err)
		}
		return k
	}
	err := db.Update(ctx, func(tx cases.Tx) error {
		for i, c := range cs {
			if err := tx.Insert(c); err != nil {
				return err
			}
			if err := tx.AppendAudit(entry(c)); err != nil {
				return err
			}
			if err := tx.Insert(c); !errors.Is(err, cases.ErrExists) {
				t.Errorf("case %d inserted twice in one transaction: %v", i, err)
			}
			if i == sealBatchLen+1 { // read back in the middle of a batch
				got, err := tx.Case(c.ID)
				if err != nil || got.Patient.PNR != c.Patient.PNR {
					t.Errorf("case %d in its own transaction: %v", i, err)
				}
				if k := countAudit(tx); k != i+1 {
					t.Errorf("%d access-log records in the writing transaction, want %d", k, i+1)
				}
			}
		}
		k := 0
		if err := tx.Cases(func(*cases.Case) bool { k++; return true }); err != nil {
			return err
		}
		if k != n {
			t.Errorf("Cases sees %d cases in the writing transaction, want %d", k, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		got, err := get(db, c.ID)
		if err != nil || got.ID != c.ID || got.Messages[0].Text != c.Messages[0].Text {
			t.Fatalf("case %s after commit: %v", c.ID, err)
		}
	}
	if err := db.View(ctx, func(tx cases.ReadTx) error {
		if k := countAudit(tx); k != n {
			t.Errorf("%d access-log records after commit, want %d", k, n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := db.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Entries != n {
		t.Errorf("the access log verifies %d records, want %d: %+v", rep.Entries, n, rep)
	}
}

// A transaction that fails after writing drops what waits to be sealed.
func TestSealedLaterRolledBack(t *testing.T) {
	db, _ := testStore(t)
	c := newCase(1, "Kanarietext")
	boom := errors.New("boom")
	err := db.Update(ctx, func(tx cases.Tx) error {
		if err := tx.Insert(c); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v", err)
	}
	if _, err := get(db, c.ID); !errors.Is(err, cases.ErrNotFound) {
		t.Fatalf("a rolled-back case reads back: %v", err)
	}
}
