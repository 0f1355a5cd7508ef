package store

import (
	"errors"
	"testing"

	"clinicgw/agent/cases"
)

// A case inserted in a transaction reads back in it at once, refuses a
// second insert, updates and lists, although it is encoded and sealed on
// another goroutine; a transaction that fails writes none of its cases.
func TestInsertedCaseReadsBackInTheSameTransaction(t *testing.T) {
	db, _ := testStore(t)
	a, b := newCase(1, "a"), newCase(2, "b")
	errFail := errors.New("fail")
	err := db.Update(ctx, func(tx cases.Tx) error {
		if err := tx.Insert(a); err != nil {
			return err
		}
		return errFail
	})
	if !errors.Is(err, errFail) {
		t.Fatalf("failed transaction: %v", err)
	}
	if _, err := get(db, a.ID); !errors.Is(err, cases.ErrNotFound) {
		t.Fatalf("a case of a failed transaction was stored: %v", err)
	}
	err = db.Update(ctx, func(tx cases.Tx) error {
		for _, c := range []*cases.Case{a, b} {
			if err := tx.Insert(c); err != nil {
				return err
			}
		}
		if err := tx.Insert(newCase(1, "again")); !errors.Is(err, cases.ErrExists) {
			t.Errorf("second insert of a pending case: %v, want ErrExists", err)
		}
		got, err := tx.Case(a.ID)
		if err != nil || got.Fields[0].Value != a.Fields[0].Value {
			t.Fatalf("read back in the transaction: %+v, %v", got, err)
		}
		got.Version++
		got.Assignee = "SE2321000016-C001"
		if err := tx.Update(got); err != nil {
			t.Fatalf("update in the transaction: %v", err)
		}
		c := newCase(3, "c")
		if err := tx.Insert(c); err != nil {
			return err
		}
		n := 0
		if err := tx.Cases(func(*cases.Case) bool { n++; return true }); err != nil || n != 3 {
			t.Errorf("listed %d cases in the transaction (%v), want 3", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := get(db, a.ID)
	if err != nil || got.Version != 2 || got.Assignee == "" {
		t.Errorf("after commit: %+v, %v", got, err)
	}
	if _, err := get(db, b.ID); err != nil {
		t.Errorf("second case: %v", err)
	}
}
