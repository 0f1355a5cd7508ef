package fhirapi_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"clinicgw/agent/audit"
	"clinicgw/agent/booking"
	"clinicgw/agent/cases"
	"clinicgw/agent/fhirapi"
)

// failingLogStore is the diary's store whose access log fails on demand:
// the failure between a change and its entry.
type failingLogStore struct {
	booking.Store
	fail *bool
}

type failingLogTx struct {
	booking.Tx
	fail *bool
}

var errLogInjected = errors.New("injected: the access log cannot be written")

func (s failingLogStore) Update(ctx context.Context, fn func(booking.Tx) error) error {
	return s.Store.Update(ctx, func(tx booking.Tx) error { return fn(failingLogTx{tx, s.fail}) })
}

func (t failingLogTx) AppendAudit(e audit.Entry) error {
	if *t.fail {
		return errLogInjected
	}
	return t.Tx.(booking.AuditTx).AppendAudit(e)
}

// withFailingLog is withDiary whose access log, both the separate write
// and the diary transaction's, fails while *fail.
func withFailingLog(fail *bool) func(*fixture, *fhirapi.Config) {
	return func(f *fixture, cfg *fhirapi.Config) {
		withDiary(f, cfg)
		d, err := booking.New(failingLogStore{booking.OnStore(f.db), fail}, booking.Options{Clock: f.clock})
		if err != nil {
			f.t.Fatal(err)
		}
		f.diary, cfg.Diary = d, d
		inner := cfg.DiaryLog
		cfg.DiaryLog = func(ctx context.Context, es ...audit.Entry) error {
			if *fail {
				return errLogInjected
			}
			return inner(ctx, es...)
		}
	}
}

// A booking or cancellation through the API and its access-log entry
// commit together: with the access log failing, the time is neither
// booked nor cancelled (before, the entry was written after the change,
// in a transaction of its own, and the failure left the change without
// it); with the log working, each change has its entry.
func TestAPIChangeAndAccessLogOneTransaction(t *testing.T) {
	fail := false
	f := newFixture(t, 0, 6000, withFailingLog(&fail))
	pnr := string(f.adult)
	ctx := context.Background()
	entries := func(action string) int {
		n := 0
		if err := f.db.View(ctx, func(tx cases.ReadTx) error {
			return tx.AuditByPatient(f.adult, func(r audit.Record) bool {
				if r.Entry.Action == action && r.Entry.Outcome == audit.Allowed {
					n++
				}
				return true
			})
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	r := f.curl("booker", "/Slot?"+url.Values{"start": {"ge2026-11-30", "lt2026-12-01"}, "status": {"free"}}.Encode())
	slots := r.decode(t)["entry"].([]any)
	slot := slots[0].(map[string]any)["resource"].(map[string]any)["id"].(string)
	status := func() string { return f.curl("booker", "/Slot/"+slot).decode(t)["status"].(string) }

	fail = true
	r = f.post("booker", "/Appointment", bookBody(slot, pnr))
	fail = false
	if r.status != 500 || status() != "free" || entries("diary-book") != 0 {
		t.Fatalf("book with the access log failing: %d, the Slot is %s, %d entries: the time was booked without its access-log entry\n%s",
			r.status, status(), entries("diary-book"), r.body)
	}
	r = f.post("booker", "/Appointment", bookBody(slot, pnr))
	if r.status != 201 || status() != "busy" || entries("diary-book") != 1 {
		t.Fatalf("book: %d, %s, %d entries", r.status, status(), entries("diary-book"))
	}
	id := r.decode(t)["id"].(string)
	fail = true
	r = f.post("booker", "/Appointment/"+id+"/$cancel", cancelBody)
	fail = false
	if r.status != 500 || status() != "busy" || entries("diary-cancel") != 0 {
		t.Fatalf("cancel with the access log failing: %d, the Slot is %s, %d entries: the booking was cancelled without its access-log entry\n%s",
			r.status, status(), entries("diary-cancel"), r.body)
	}
	r = f.post("booker", "/Appointment/"+id+"/$cancel", cancelBody)
	if r.status != 200 || status() != "free" || entries("diary-cancel") != 1 {
		t.Fatalf("cancel: %d, %s, %d entries", r.status, status(), entries("diary-cancel"))
	}
}
