package booking

import (
	"testing"
	"time"
)

// weekdays puts a Monday-to-Friday template of count times from start for
// clin.
func weekdays(f *fixture, clin, typeID, start string, count int) {
	for wd := time.Monday; wd <= time.Friday; wd++ {
		f.must(f.d.PutTemplate(ctx, Template{ID: clin[len(clin)-4:] + "-" + wd.String()[:3], Clinician: clin, TypeID: typeID,
			Weekday: wd, Start: start, Count: count, From: "2026-01-01"}))
	}
}

// TestGenerate: eight weeks ahead at least; a second run changes
// nothing; public holidays and exceptions make no times; a changed
// template removes free times, keeps a booked one where it was and
// reports it.
func TestGenerate(t *testing.T) {
	now := stockholm(2026, 5, 4, 7, 0) // Monday before the day's times
	f := newFixture(t, now)
	f.must(f.d.PutType(ctx, visit))
	weekdays(f, clinA, visit.ID, "08:00", 4)
	weekdays(f, clinB, visit.ID, "13:00", 2)
	f.must(f.d.PutException(ctx, Exception{ID: "semester-a", Clinician: clinA, From: "2026-05-18", Until: "2026-05-22", What: "Semester"}))
	f.must(f.d.PutException(ctx, Exception{ID: "stangt", From: "2026-05-26", Until: "2026-05-26", What: "Planeringsdag"}))

	rep, err := f.d.Generate(ctx, 1) // asks for less than eight weeks
	f.must(err)
	all := snapshot(t, f)
	if rep.Made != len(all) || rep.Kept != 0 || rep.Removed != 0 {
		t.Fatalf("first run %+v, %d times", rep, len(all))
	}
	last := all[len(all)-1].Start
	if last.Sub(now) < 7*7*24*time.Hour {
		t.Errorf("the last time is %v: less than eight weeks ahead", Local(last))
	}
	perDay := map[string]int{}
	for _, s := range all {
		perDay[Local(s.Start).Format(time.DateOnly)+" "+s.Clinician]++
	}
	for _, tc := range []struct {
		day, clin string
		want      int
	}{
		{"2026-05-04", clinA, 4}, {"2026-05-04", clinB, 2},
		{"2026-05-14", clinA, 0}, {"2026-05-14", clinB, 0}, // Kristi himmelsfärdsdag
		{"2026-05-19", clinA, 0}, {"2026-05-19", clinB, 2}, // clinA's leave
		{"2026-05-26", clinA, 0}, {"2026-05-26", clinB, 0}, // the unit closed
		{"2026-06-05", clinA, 4}, {"2026-06-06", clinA, 0}, // Friday; Nationaldagen on a Saturday
		{"2026-06-19", clinA, 0}, // Midsommarafton
	} {
		if got := perDay[tc.day+" "+tc.clin]; got != tc.want {
			t.Errorf("%s %s: %d times, want %d", tc.day, tc.clin, got, tc.want)
		}
	}

	// A second run: nothing made, nothing removed.
	again, err := f.d.Generate(ctx, MinWeeks)
	f.must(err)
	if again.Made != 0 || again.Removed != 0 || again.Kept != len(all) {
		t.Errorf("second run %+v, want all %d kept", again, len(all))
	}

	// Book clinA's 08:30 next Tuesday, then move clinA's block half an
	// hour later: the booking stays at 08:30 and is reported.
	tue := stockholm(2026, 5, 5, 8, 30)
	booked := (&Slot{Start: tue.UTC(), Clinician: clinA}).ID()
	if _, err := f.d.Book(ctx, booked, Actor{Staff: staff1}, BookRequest{Patient: pnr1}); err != nil {
		t.Fatal(err)
	}
	weekdays(f, clinA, visit.ID, "08:30", 4)
	moved, err := f.d.Generate(ctx, MinWeeks)
	f.must(err)
	if len(moved.Conflicts) != 0 {
		t.Errorf("08:30 is still in the schedule, yet conflicts %v", moved.Conflicts)
	}
	s, err := f.d.Slot(ctx, booked)
	f.must(err)
	if s.State != Booked || s.Booking.Patient != pnr1 {
		t.Errorf("the booked time changed: %+v", s)
	}
	weekdays(f, clinA, visit.ID, "10:00", 2)
	moved, err = f.d.Generate(ctx, MinWeeks)
	f.must(err)
	if len(moved.Conflicts) != 1 || moved.Conflicts[0] != booked {
		t.Errorf("conflicts %v, want the booked %s", moved.Conflicts, booked)
	}
	if s, err := f.d.Slot(ctx, booked); err != nil || s.State != Booked {
		t.Errorf("the booked time was removed: %v %v", s, err)
	}
	day := map[string]int{}
	for _, s := range snapshot(t, f) {
		if s.Clinician == clinA && Local(s.Start).Format(time.DateOnly) == "2026-05-06" {
			day[Local(s.Start).Format("15:04")]++
		}
	}
	if len(day) != 2 || day["10:00"] != 1 || day["10:30"] != 1 {
		t.Errorf("clinA's Wednesday after the change: %v, want 10:00 and 10:30 only", day)
	}

	// The leave is withdrawn: clinA's times that week come back.
	f.must(f.d.DeleteException(ctx, "semester-a"))
	back, err := f.d.Generate(ctx, MinWeeks)
	f.must(err)
	tm, ex, err := f.d.Schedule(ctx)
	f.must(err)
	if back.Made != 5*2 || len(ex) != 1 || len(tm) != 10 {
		t.Errorf("after the leave is withdrawn: %+v, %d exceptions, %d templates; want 10 times made", back, len(ex), len(tm))
	}
}
