package cases_test

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/cases/casestest"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestDoWithin: a command inside a transaction the caller owns commits
// with the caller's own write; a refusal rolls both back and is still in
// the access log (denied, written after); a failure of the caller's
// write after the command leaves the case as it was.
func TestDoWithin(t *testing.T) {
	ctx := context.Background()
	st := newMemStore(casestest.Unit)
	clock := clocktest.New(time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC))
	svc, err := cases.NewService(cases.ServiceConfig{Unit: casestest.Unit, Store: st, Clock: clock,
		Rand: rand.NewChaCha8([32]byte{'w'}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	const dist, clin, other = "SE2321000016-1001", "SE2321000016-1003", "SE2321000016-1004"
	pnr := personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 985)
	c, err := svc.Receive(ctx, cases.Submission{Type: casetype.BookAppointment, Patient: cases.Person{PNR: pnr, Name: "Testperson"},
		Text: "En tid, tack", SubmittedAt: clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if c, err = svc.Do(ctx, cases.StaffActor(dist, cases.RoleCodes([]cases.Role{cases.Distributor})), c.ID,
		cases.Command{Action: cases.Assign, Assignee: clin}); err != nil {
		t.Fatal(err)
	}
	answer := cases.Command{Action: cases.SendAnswer, Version: c.Version, Text: "Du har fått en tid."}
	// The caller's own write: a flag set in the same transaction.
	var written bool
	run := func(fail error) func(func(cases.Tx) error) error {
		return func(body func(cases.Tx) error) error {
			return st.Update(ctx, func(tx cases.Tx) error {
				if err := body(tx); err != nil {
					return err
				}
				if fail != nil {
					return fail
				}
				written = true
				return nil
			})
		}
	}
	denied := func() int {
		n := 0
		st.View(ctx, func(tx cases.ReadTx) error {
			return tx.AuditByPatient(pnr, func(r audit.Record) bool {
				if r.Entry.Outcome == audit.Denied {
					n++
				}
				return true
			})
		})
		return n
	}

	// Refused: not the assigned clinician.
	_, err = svc.DoWithin(ctx, cases.StaffActor(other, cases.RoleCodes([]cases.Role{cases.Clinician})), c.ID, answer, run(nil))
	if err == nil || written || denied() != 1 {
		t.Fatalf("a refused command: %v, the caller's write %v, %d denied entries", err, written, denied())
	}
	me := cases.StaffActor(clin, cases.RoleCodes([]cases.Role{cases.Clinician}))
	// The caller's write fails after the command: the case as it was.
	injected := errors.New("injected: the diary cannot be written")
	if _, err = svc.DoWithin(ctx, me, c.ID, answer, run(injected)); !errors.Is(err, injected) {
		t.Fatalf("the caller's failure: %v", err)
	}
	if got, _ := svc.Get(ctx, me, c.ID); got.Status != cases.Assigned {
		t.Fatalf("after the caller's failure the case is %s", got.Status)
	}
	// Both commit.
	got, err := svc.DoWithin(ctx, me, c.ID, answer, run(nil))
	if err != nil || got.Status != cases.Answered || !written {
		t.Fatalf("together: %v, %v, the caller's write %v", got, err, written)
	}
}
