package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/agent/store"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// `clinicgw stats --recount` compares the booking diary's aggregates too:
// equal after bookings, a changed one reported (exit 1), counted again
// by --rebuild's diary part.
func TestStatsRecountCoversDiary(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := store.GenerateKeyFile(filepath.Join(dir, "kek.key"), rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	kek, err := store.LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	const clin = "SE2321000016-1003"
	db, err := store.Open(ctx, filepath.Join(dir, "store.db"), kek, store.Options{Unit: demoUnit})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := clocktest.New(time.Date(2026, 11, 23, 9, 0, 0, 0, workday.Stockholm()))
	d, err := booking.New(booking.OnStore(db), booking.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.PutType(ctx, booking.TimeType{ID: "besok-30", StaffName: "Mottagningsbesök", PatientName: "Besök", Minutes: 30}))
	must(d.PutTemplate(ctx, booking.Template{ID: "t1", Clinician: clin, TypeID: "besok-30", Weekday: time.Tuesday, Start: "08:00", Count: 2, From: "2026-11-01"}))
	_, err = d.Generate(ctx, booking.MinWeeks)
	must(err)
	slots, err := d.Slots(ctx, clock.Now(), clock.Now().AddDate(0, 0, 2))
	must(err)
	pnr := string(personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 982))
	_, err = d.Book(ctx, slots[0].ID(), booking.Actor{Staff: clin}, booking.BookRequest{Patient: pnr})
	must(err)

	var out bytes.Buffer
	e := &env{stdout: &out, stderr: &out}
	if err := statsRecount(ctx, e, withDiaryRecount(db)); err != nil || !strings.Contains(out.String(), "equal a full recount") {
		t.Fatalf("after a booking: %v\n%s", err, out.String())
	}
	key := []byte("2026-11\x00besok-30\x00" + clin)
	must(db.DiaryUpdate(ctx, func(tx *store.DiaryTx) error { return tx.Put(store.DiaryStats, key, []byte(`{"b":5}`)) }))
	out.Reset()
	if err := statsRecount(ctx, e, withDiaryRecount(db)); err == nil || !strings.Contains(out.String(), "booking diary 2026-11, type besok-30") {
		t.Fatalf("a changed aggregate: %v\n%s", err, out.String())
	}
	must(rebuildDiaryStats(ctx, db))
	out.Reset()
	if err := statsRecount(ctx, e, withDiaryRecount(db)); err != nil {
		t.Fatalf("after --rebuild: %v\n%s", err, out.String())
	}
}
