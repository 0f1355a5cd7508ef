package localui_test

import (
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/personnummer"
)

// TestDiaryLiveOnPatientChanges: a staff member's open diary page is told
// of a change a patient made through the sync (a booking, a rebooking, a
// cancellation decided by the gateway), as of one made on the diary page.
func TestDiaryLiveOnPatientChanges(t *testing.T) {
	c := startClinic(t)
	d := c.gw.Diary()
	ctx := t.Context()
	visit := booking.TimeType{ID: "besok-30", StaffName: "Mottagningsbesök", PatientName: "Besök", Minutes: 30,
		Online: true, Rebook: true, Cancel: true}
	if err := d.PutType(ctx, visit); err != nil {
		t.Fatal(err)
	}
	if err := d.PutTemplate(ctx, booking.Template{ID: "t1", Clinician: hsaClinA, TypeID: visit.ID,
		Weekday: time.Tuesday, Start: "08:00", Count: 2, From: "2026-11-24", Until: "2026-11-24"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Generate(ctx, 8); err != nil {
		t.Fatal(err)
	}
	pnr := string(personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 982))
	c.pnrs = append(c.pnrs, pnr)
	a, b := diarySlot("2026-11-24", "08:00", hsaClinA), diarySlot("2026-11-24", "08:30", hsaClinA)

	conn, _, err := c.login(hsaClinA).ws(map[string]string{"t": "watch", "list": "diary"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if m, _ := next(t, conn, 10*time.Second); m.T != "watching" {
		t.Fatalf("the watch answered %+v", m)
	}
	for _, r := range []wire.BookingRequest{
		{ID: "r1", Kind: wire.BookingBook, Patient: pnr, Time: a},
		{ID: "r2", Kind: wire.BookingRebook, Patient: pnr, Time: b, From: a},
		{ID: "r3", Kind: wire.BookingCancel, Patient: pnr, Time: b},
	} {
		r.At = c.clock.Now().UTC()
		dec, err := d.Decide(ctx, r)
		if err != nil || dec.Outcome != wire.BookingConfirmed {
			t.Fatalf("%s: %+v, %v", r.Kind, dec, err)
		}
		if m, code := next(t, conn, 10*time.Second); code != 0 || m.T != "changed" {
			t.Fatalf("after the patient's %s the diary page got %+v, close %d; want changed", r.Kind, m, code)
		}
	}
}
