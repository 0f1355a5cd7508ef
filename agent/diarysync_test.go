package agent

import (
	"context"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/booking"
	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// A patient's online booking, rebooking and cancellation, decided from
// the sync, each write an access-log entry (actor "patient", the
// patient's personnummer) in the change's transaction; a declined
// request writes none.
func TestDiarySyncLogsPatientChanges(t *testing.T) {
	const unit, clin = "SE2321000016-15ZM", "SE2321000016-1003"
	clock := clocktest.New(time.Date(2026, 11, 23, 9, 0, 0, 0, workday.Stockholm()))
	db, _ := openTestStore(t, t.TempDir(), unit, clock)
	ctx := context.Background()
	d, err := booking.New(booking.OnStore(db), booking.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.PutType(ctx, booking.TimeType{ID: "besok-30", StaffName: "Mottagningsbesök", PatientName: "Besök", Minutes: 30,
		Online: true, Rebook: true, Cancel: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.PutTemplate(ctx, booking.Template{ID: "t1", Clinician: clin, TypeID: "besok-30", Weekday: time.Tuesday, Start: "08:00", Count: 2, From: "2026-11-01"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Generate(ctx, booking.MinWeeks); err != nil {
		t.Fatal(err)
	}
	slots, err := d.Slots(ctx, clock.Now(), clock.Now().AddDate(0, 0, 2))
	if err != nil || len(slots) != 2 {
		t.Fatalf("times: %d, %v", len(slots), err)
	}
	s1, s2 := string(slots[0].ID()), string(slots[1].ID())
	pnr := string(personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 982))
	other := string(personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 983))
	src := diarySync{booking.SyncSource{Diary: d}, unit, clock}
	for i, tc := range []struct {
		r       wire.BookingRequest
		outcome wire.BookingOutcome
		action  string // "" no entry
	}{
		{wire.BookingRequest{ID: "r1", Kind: wire.BookingBook, Patient: pnr, Time: s1}, wire.BookingConfirmed, "diary-book"},
		{wire.BookingRequest{ID: "r2", Kind: wire.BookingBook, Patient: other, Time: s1}, wire.BookingDeclined, ""},
		{wire.BookingRequest{ID: "r3", Kind: wire.BookingRebook, Patient: pnr, From: s1, Time: s2}, wire.BookingConfirmed, "diary-rebook"},
		{wire.BookingRequest{ID: "r4", Kind: wire.BookingCancel, Patient: pnr, Time: s2}, wire.BookingConfirmed, "diary-cancel"},
	} {
		var n int
		count := func() (out []audit.Record) {
			if err := db.View(ctx, func(tx cases.ReadTx) error {
				return tx.AuditByActor("patient", func(r audit.Record) bool { out = append(out, r); return true })
			}); err != nil {
				t.Fatal(err)
			}
			return out
		}
		n = len(count())
		dec, err := src.Decide(ctx, tc.r)
		if err != nil || dec.Outcome != tc.outcome {
			t.Fatalf("%d: %+v, %v", i, dec, err)
		}
		recs := count()
		switch {
		case tc.action == "" && len(recs) != n:
			t.Errorf("%d: a declined request wrote %d entries", i, len(recs)-n)
		case tc.action != "" && (len(recs) != n+1 || recs[n].Entry.Action != tc.action || recs[n].Entry.Patient != tc.r.Patient):
			t.Errorf("%d: entries %d → %d, want one %s for the patient: %+v", i, n, len(recs), tc.action, recs)
		}
	}
}
