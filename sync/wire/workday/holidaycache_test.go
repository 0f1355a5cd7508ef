package workday

import (
	"testing"
	"time"
)

// TestHolidaysWorkedOutOncePerYear: a due date is counted for every case
// that arrives (agent/cases' DueWithin asks IsWorkingDay for each day
// after it), so the year's holidays are worked out once, not once per
// question; and the answers stay those of the rules (TestIsWorkingDay,
// TestHolidays, and here every day of four years against Holidays).
func TestHolidaysWorkedOutOncePerYear(t *testing.T) {
	for _, year := range []int{2024, 2025, 2026, 2027} {
		want := map[[2]int]bool{}
		for _, h := range Holidays(year) {
			want[[2]int{int(h.Date.Month()), h.Date.Day()}] = true
		}
		before := holidayRuns.Load()
		for d := time.Date(year, 1, 1, 12, 0, 0, 0, stockholmTZ); d.Year() == year; d = d.AddDate(0, 0, 1) {
			weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
			if got, w := IsWorkingDay(d), !weekend && !want[[2]int{int(d.Month()), d.Day()}]; got != w {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", d.Format(time.DateOnly), got, w)
			}
		}
		if n := holidayRuns.Load() - before; n > 1 {
			t.Errorf("%d: the year's holidays were worked out %d times for its days; want at most once", year, n)
		}
	}
}
