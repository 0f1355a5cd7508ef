package agent

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/workday"
)

// TestDiaryNightlyGeneration (issue 20): the gateway makes the diary's
// times at its start and again every night on its clock, so the times
// always reach eight weeks ahead: the Monday eight weeks on appears the
// night it comes within reach, not before.
func TestDiaryNightlyGeneration(t *testing.T) {
	const u = "SE2321000016-15ZM"
	const clin = "SE2321000016-DOC1"
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stockholm := workday.Stockholm()
	clock := clocktest.New(time.Date(2026, 12, 7, 12, 0, 0, 0, stockholm)) // a Monday
	db, _ := openTestStore(t, t.TempDir(), u, clock)
	a := &Agent{cfg: DefaultConfig(u, "Vårdcentralen Exempel"), log: slog.New(slog.DiscardHandler), opts: Options{Clock: clock}}
	d, err := a.newDiary(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.PutType(ctx, booking.TimeType{ID: "besok", StaffName: "Besök", PatientName: "Besök", Minutes: 30, Online: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.PutTemplate(ctx, booking.Template{ID: "mon", Clinician: clin, TypeID: "besok", Weekday: time.Monday, Start: "13:00", Count: 1, From: "2026-12-01"}); err != nil {
		t.Fatal(err)
	}
	far := time.Date(2027, 2, 1, 13, 0, 0, 0, stockholm)
	has := func() bool {
		s, err := d.Slots(ctx, far, far.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return len(s) == 1
	}
	var wg sync.WaitGroup
	wg.Go(func() { a.runDiaryGenerate(ctx, d) })
	defer wg.Wait()
	if err := clock.BlockUntil(ctx, 1); err != nil { // generated at the start; the night's timer is set
		t.Fatal(err)
	}
	if s, _ := d.Slots(ctx, clock.Now(), clock.Now().AddDate(0, 0, 56)); len(s) != 8 {
		t.Fatalf("at the start: %d times, want the 8 Mondays of eight weeks", len(s))
	}
	if has() {
		t.Fatal("the Monday eight weeks and a day on exists before its night")
	}
	clock.Set(time.Date(2026, 12, 8, diaryGenerateHour, diaryGenerateMinute, 0, 0, stockholm))
	if err := clock.BlockUntil(ctx, 1); err != nil { // the night's run done, the next night's timer set
		t.Fatal(err)
	}
	if !has() {
		t.Fatal("the night's generation did not make the Monday now eight weeks ahead")
	}
	cancel()
}
