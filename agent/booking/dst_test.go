package booking

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestResolveWallClock: what a template's wall-clock time means on the
// daylight-saving days. A time in the spring gap does not exist (no
// time); a time in the autumn's repeated hour is the first of the two.
func TestResolveWallClock(t *testing.T) {
	utc := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	tests := []struct {
		day    string
		clock  string
		want   time.Time
		exists bool
	}{
		{"2026-05-04", "08:00", utc(2026, 5, 4, 6, 0), true},
		{"2026-01-12", "08:00", utc(2026, 1, 12, 7, 0), true},
		{"2026-03-29", "01:59", utc(2026, 3, 29, 0, 59), true},
		{"2026-03-29", "02:00", time.Time{}, false},
		{"2026-03-29", "02:30", time.Time{}, false},
		{"2026-03-29", "02:59", time.Time{}, false},
		{"2026-03-29", "03:00", utc(2026, 3, 29, 1, 0), true},
		{"2026-03-29", "03:30", utc(2026, 3, 29, 1, 30), true},
		{"2026-10-25", "01:30", utc(2026, 10, 24, 23, 30), true},
		{"2026-10-25", "02:00", utc(2026, 10, 25, 0, 0), true},  // first 02:00 (CEST), not 01:00 UTC
		{"2026-10-25", "02:30", utc(2026, 10, 25, 0, 30), true}, // first 02:30 (CEST), not 01:30 UTC
		{"2026-10-25", "02:59", utc(2026, 10, 25, 0, 59), true},
		{"2026-10-25", "03:00", utc(2026, 10, 25, 2, 0), true},
	}
	for _, tc := range tests {
		d, err := parseDate(tc.day)
		if err != nil {
			t.Fatal(err)
		}
		m, err := parseClock(tc.clock)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := resolve(d, m)
		if ok != tc.exists || !got.Equal(tc.want) {
			t.Errorf("%s %s: got %v exists %v, want %v exists %v", tc.day, tc.clock, got, ok, tc.want, tc.exists)
		}
		if ok && got.Location() != time.UTC {
			t.Errorf("%s %s: resolved in %v, want UTC", tc.day, tc.clock, got.Location())
		}
	}
}

// TestScheduleOverDaylightSaving: a Sunday-night template of hourly and
// half-hourly times over 2026-03-29 and 2026-10-25: the spring gap makes
// no time, the autumn repeat only the first, no two times of a clinician
// overlap, a length across the change ends in real time, a booking on
// each day holds, and the store keeps instants in UTC.
func TestScheduleOverDaylightSaving(t *testing.T) {
	now := stockholm(2026, 3, 20, 9, 0)
	f := newFixture(t, now)
	hour := TimeType{ID: "natt-60", StaffName: "Nattbesök", PatientName: "Besök", Minutes: 60, Online: true}
	half := TimeType{ID: "natt-30", StaffName: "Nattsamtal", PatientName: "Samtal", Minutes: 30, Online: true}
	f.must(f.d.PutType(ctx, hour))
	f.must(f.d.PutType(ctx, half))
	f.must(f.d.PutTemplate(ctx, Template{ID: "son-natt", Clinician: clinA, TypeID: hour.ID, Weekday: time.Sunday, Start: "01:00", Count: 4, From: "2026-01-01"}))
	f.must(f.d.PutTemplate(ctx, Template{ID: "son-halv", Clinician: clinB, TypeID: half.ID, Weekday: time.Sunday, Start: "01:30", Count: 4, From: "2026-01-01"}))

	local := func(ss []*Slot) (out []string) {
		for _, s := range ss {
			out = append(out, s.Clinician[len(s.Clinician)-4:]+" "+Local(s.Start).Format("15:04 MST")+"–"+Local(s.End()).Format("15:04 MST"))
		}
		return out
	}
	day := func(y int, m time.Month, d int) []*Slot {
		ss, err := f.d.Slots(ctx, stockholm(y, m, d, 0, 0), stockholm(y, m, d+1, 0, 0))
		f.must(err)
		return ss
	}

	_, err := f.d.Generate(ctx, MinWeeks)
	f.must(err)
	spring := day(2026, 3, 29)
	want := []string{
		"1003 01:00 CET–03:00 CEST", // one hour of real time, across the change
		"1004 01:30 CET–03:00 CEST",
		"1003 03:00 CEST–04:00 CEST", // 02:00 does not exist: no time
		"1004 03:00 CEST–03:30 CEST", // 01:30 + 3×30 min of wall clock: 03:00
		"1003 04:00 CEST–05:00 CEST",
	}
	if got := local(spring); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("2026-03-29:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	noOverlap(t, spring)
	book := func(ss []*Slot, i int) {
		t.Helper()
		if _, err := f.d.Book(ctx, ss[i].ID(), Actor{Patient: pnr1}, BookRequest{}); err != nil {
			t.Fatalf("book %s: %v", ss[i].ID(), err)
		}
	}
	book(spring, 2)

	f.clock.Set(stockholm(2026, 10, 20, 9, 0))
	_, err = f.d.Generate(ctx, MinWeeks)
	f.must(err)
	autumn := day(2026, 10, 25)
	want = []string{
		"1003 01:00 CEST–02:00 CEST",
		"1004 01:30 CEST–02:00 CEST",
		"1003 02:00 CEST–02:00 CET", // the first 02:00; an hour of real time
		"1004 02:00 CEST–02:30 CEST",
		"1004 02:30 CEST–02:00 CET", // the first 02:30
		"1003 03:00 CET–04:00 CET",
		"1004 03:00 CET–03:30 CET",
		"1003 04:00 CET–05:00 CET",
	}
	got := local(autumn)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("2026-10-25:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	noOverlap(t, autumn)
	book(autumn, 2)

	// After a restart both bookings are there, their instants in UTC; the
	// sealed records say "Z".
	f.reopen()
	for _, ss := range [][]*Slot{day(2026, 3, 29), day(2026, 10, 25)} {
		s := ss[2]
		if s.State != Booked || s.Start.Location() != time.UTC || s.Booking.At.Location() != time.UTC {
			t.Errorf("%s: state %s, start in %v, booked at in %v; want UTC", s.ID(), s.State, s.Start.Location(), s.Booking.At.Location())
		}
		raw, err := json.Marshal(s)
		f.must(err)
		if !strings.Contains(string(raw), `"start":"`+s.Start.Format("2006-01-02T15:04:05")+`Z"`) {
			t.Errorf("stored start is not UTC: %s", raw)
		}
	}
}

func noOverlap(t *testing.T, ss []*Slot) {
	t.Helper()
	for i, a := range ss {
		for _, b := range ss[i+1:] {
			if a.Clinician == b.Clinician && a.Start.Before(b.End()) && b.Start.Before(a.End()) {
				t.Errorf("%s and %s overlap", a.ID(), b.ID())
			}
		}
	}
}
