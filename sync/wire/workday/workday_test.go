package workday

import (
	"fmt"
	"testing"
	"time"
)

// holidayWant is a holiday written out in a test.
type holidayWant struct {
	m    time.Month
	d    int
	name string
}

// The holidays of 2025–2027, checked by hand against an almanac: Easter
// from the published tables, midsummer and All Saints from the weekdays
// of 19–26 June and 31 October–6 November.
var wantHolidays = map[int][]holidayWant{
	2025: {
		{time.January, 1, "Nyårsdagen"},
		{time.January, 6, "Trettondedag jul"},
		{time.April, 18, "Långfredagen"},
		{time.April, 19, "Påskafton"},
		{time.April, 20, "Påskdagen"},
		{time.April, 21, "Annandag påsk"},
		{time.May, 1, "Första maj"},
		{time.May, 29, "Kristi himmelsfärdsdag"},
		{time.June, 6, "Nationaldagen"},
		{time.June, 8, "Pingstdagen"},
		{time.June, 20, "Midsommarafton"},
		{time.June, 21, "Midsommardagen"},
		{time.November, 1, "Alla helgons dag"},
		{time.December, 24, "Julafton"},
		{time.December, 25, "Juldagen"},
		{time.December, 26, "Annandag jul"},
		{time.December, 31, "Nyårsafton"},
	},
	2026: {
		{time.January, 1, "Nyårsdagen"},
		{time.January, 6, "Trettondedag jul"},
		{time.April, 3, "Långfredagen"},
		{time.April, 4, "Påskafton"},
		{time.April, 5, "Påskdagen"},
		{time.April, 6, "Annandag påsk"},
		{time.May, 1, "Första maj"},
		{time.May, 14, "Kristi himmelsfärdsdag"},
		{time.May, 24, "Pingstdagen"},
		{time.June, 6, "Nationaldagen"},
		{time.June, 19, "Midsommarafton"},
		{time.June, 20, "Midsommardagen"},
		{time.October, 31, "Alla helgons dag"},
		{time.December, 24, "Julafton"},
		{time.December, 25, "Juldagen"},
		{time.December, 26, "Annandag jul"},
		{time.December, 31, "Nyårsafton"},
	},
	2027: {
		{time.January, 1, "Nyårsdagen"},
		{time.January, 6, "Trettondedag jul"},
		{time.March, 26, "Långfredagen"},
		{time.March, 27, "Påskafton"},
		{time.March, 28, "Påskdagen"},
		{time.March, 29, "Annandag påsk"},
		{time.May, 1, "Första maj"},
		{time.May, 6, "Kristi himmelsfärdsdag"},
		{time.May, 16, "Pingstdagen"},
		{time.June, 6, "Nationaldagen"},
		{time.June, 25, "Midsommarafton"},
		{time.June, 26, "Midsommardagen"},
		{time.November, 6, "Alla helgons dag"},
		{time.December, 24, "Julafton"},
		{time.December, 25, "Juldagen"},
		{time.December, 26, "Annandag jul"},
		{time.December, 31, "Nyårsafton"},
	},
}

func TestHolidays(t *testing.T) {
	for year, want := range wantHolidays {
		t.Run(fmt.Sprint(year), func(t *testing.T) {
			got := Holidays(year)
			if len(got) != len(want) {
				t.Fatalf("Holidays(%d) has %d days, want %d: %v", year, len(got), len(want), got)
			}
			for i, w := range want {
				g := got[i]
				wd := time.Date(year, w.m, w.d, 0, 0, 0, 0, Stockholm())
				if !g.Date.Equal(wd) || g.Date.Location() != Stockholm() || g.Name != w.name {
					t.Errorf("Holidays(%d)[%d] = %s %q, want %s %q", year, i,
						g.Date.Format(time.DateTime+" MST"), g.Name, wd.Format(time.DateOnly), w.name)
				}
			}
		})
	}
}

func TestEaster(t *testing.T) {
	// From published tables of Western Easter.
	tests := []struct {
		year int
		m    time.Month
		d    int
	}{
		{1818, time.March, 22}, // earliest possible
		{1943, time.April, 25}, // latest possible
		{2000, time.April, 23},
		{2008, time.March, 23},
		{2011, time.April, 24},
		{2019, time.April, 21},
		{2024, time.March, 31},
		{2025, time.April, 20},
		{2026, time.April, 5},
		{2027, time.March, 28},
		{2038, time.April, 25},
		{2285, time.March, 22},
	}
	for _, tt := range tests {
		want := time.Date(tt.year, tt.m, tt.d, 0, 0, 0, 0, Stockholm())
		if got := Easter(tt.year); !got.Equal(want) {
			t.Errorf("Easter(%d) = %s, want %s", tt.year, got.Format(time.DateOnly), want.Format(time.DateOnly))
		}
	}
}

// TestHolidayWeekdays checks the rules over four centuries: each movable
// day falls on its weekday and in its window.
func TestHolidayWeekdays(t *testing.T) {
	weekday := map[string]time.Weekday{
		"Långfredagen":           time.Friday,
		"Påskafton":              time.Saturday,
		"Påskdagen":              time.Sunday,
		"Annandag påsk":          time.Monday,
		"Kristi himmelsfärdsdag": time.Thursday,
		"Pingstdagen":            time.Sunday,
		"Midsommarafton":         time.Friday,
		"Midsommardagen":         time.Saturday,
		"Alla helgons dag":       time.Saturday,
	}
	for year := 1900; year < 2300; year++ {
		hs := Holidays(year)
		if len(hs) != 17 {
			t.Fatalf("Holidays(%d) has %d days, want 17", year, len(hs))
		}
		for i, h := range hs {
			if h.Date.Year() != year {
				t.Errorf("%d: %s falls in %d", year, h.Name, h.Date.Year())
			}
			if i > 0 && h.Date.Before(hs[i-1].Date) {
				t.Errorf("%d: Holidays not in date order at %s", year, h.Name)
			}
			if w, ok := weekday[h.Name]; ok && h.Date.Weekday() != w {
				t.Errorf("%d: %s on %s is a %s, want %s", year, h.Name, h.Date.Format(time.DateOnly), h.Date.Weekday(), w)
			}
			_, m, d := h.Date.Date()
			switch h.Name {
			case "Midsommardagen":
				if m != time.June || d < 20 || d > 26 {
					t.Errorf("%d: Midsommardagen on %s", year, h.Date.Format(time.DateOnly))
				}
			case "Alla helgons dag":
				if !(m == time.October && d == 31) && !(m == time.November && d <= 6) {
					t.Errorf("%d: Alla helgons dag on %s", year, h.Date.Format(time.DateOnly))
				}
			case "Påskdagen":
				if e := Easter(year); !h.Date.Equal(e) {
					t.Errorf("%d: Påskdagen %s, Easter %s", year, h.Date, e)
				}
			}
		}
	}
}

func TestIsWorkingDay(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want bool
	}{
		{"ordinary Monday", time.Date(2026, 1, 12, 9, 0, 0, 0, Stockholm()), true},
		{"ordinary Friday", time.Date(2026, 1, 16, 16, 0, 0, 0, Stockholm()), true},
		{"Saturday", time.Date(2026, 1, 17, 9, 0, 0, 0, Stockholm()), false},
		{"Sunday", time.Date(2026, 1, 18, 9, 0, 0, 0, Stockholm()), false},
		{"Trettondedag jul, a Tuesday", time.Date(2026, 1, 6, 9, 0, 0, 0, Stockholm()), false},
		{"Långfredagen", time.Date(2026, 4, 3, 9, 0, 0, 0, Stockholm()), false},
		{"Annandag påsk", time.Date(2026, 4, 6, 9, 0, 0, 0, Stockholm()), false},
		{"Tuesday after Easter", time.Date(2026, 4, 7, 9, 0, 0, 0, Stockholm()), true},
		{"Första maj", time.Date(2026, 5, 1, 9, 0, 0, 0, Stockholm()), false},
		{"Kristi himmelsfärdsdag", time.Date(2026, 5, 14, 9, 0, 0, 0, Stockholm()), false},
		{"Friday after Ascension (klämdag) works", time.Date(2026, 5, 15, 9, 0, 0, 0, Stockholm()), true},
		{"Midsommarafton", time.Date(2026, 6, 19, 9, 0, 0, 0, Stockholm()), false},
		{"Julafton, a Thursday", time.Date(2026, 12, 24, 9, 0, 0, 0, Stockholm()), false},
		{"Juldagen", time.Date(2026, 12, 25, 9, 0, 0, 0, Stockholm()), false},
		{"between the holidays", time.Date(2026, 12, 28, 9, 0, 0, 0, Stockholm()), true},
		{"Nyårsafton", time.Date(2026, 12, 31, 9, 0, 0, 0, Stockholm()), false},
		{"Nyårsdagen", time.Date(2027, 1, 1, 9, 0, 0, 0, Stockholm()), false},
		{"Nationaldagen, a Friday", time.Date(2025, 6, 6, 9, 0, 0, 0, Stockholm()), false},
		// 23:30 UTC on Thursday 18 June is 01:30 on Midsommarafton in Stockholm.
		{"judged in Stockholm time", time.Date(2026, 6, 18, 23, 30, 0, 0, time.UTC), false},
		// 23:30 UTC on Sunday 11 January is 00:30 on Monday in Stockholm.
		{"Monday in Stockholm, Sunday in UTC", time.Date(2026, 1, 11, 23, 30, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		if got := IsWorkingDay(tt.t); got != tt.want {
			t.Errorf("%s: IsWorkingDay(%v) = %v, want %v", tt.name, tt.t, got, tt.want)
		}
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	sthlm := Stockholm()
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, sthlm) }
	tests := []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{"same day", at(2026, 1, 12), at(2026, 1, 12).Add(5 * time.Hour), 0},
		{"backwards", at(2026, 1, 14), at(2026, 1, 12), 0},
		{"Monday to Friday", at(2026, 1, 12), at(2026, 1, 16), 4},
		{"Friday to Monday", at(2026, 1, 16), at(2026, 1, 19), 1},
		{"Easter week 2026", at(2026, 3, 30), at(2026, 4, 10), 7},
		// 2026 has 261 weekdays; 10 holidays fall on one (1 and 6 Jan,
		// 3 and 6 Apr, 1 and 14 May, 19 Jun, 24, 25 and 31 Dec).
		{"all of 2026", at(2025, 12, 31), at(2026, 12, 31), 251},
	}
	for _, tt := range tests {
		if got := WorkingDaysBetween(tt.from, tt.to); got != tt.want {
			t.Errorf("%s: WorkingDaysBetween = %d, want %d", tt.name, got, tt.want)
		}
	}
}
