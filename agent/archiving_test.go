package agent

import (
	"testing"
	"time"

	"clinicgw/sync/wire/workday"
)

// TestNextDaily: the daily archive run's next start, in Stockholm time,
// across midnight and both daylight-saving changes.
func TestNextDaily(t *testing.T) {
	loc := workday.Stockholm()
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, loc) }
	tests := []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"before the hour", at(2026, 5, 4, 1, 0), at(2026, 5, 4, 2, 30)},
		{"at the hour: the next day", at(2026, 5, 4, 2, 30), at(2026, 5, 5, 2, 30)},
		{"after the hour", at(2026, 5, 4, 14, 0), at(2026, 5, 5, 2, 30)},
		{"new year", at(2026, 12, 31, 23, 59), at(2027, 1, 1, 2, 30)},
		// 2026-03-29: 02:00 becomes 03:00; 02:30 does not exist.
		{"clocks forward", at(2026, 3, 28, 12, 0), time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)},
		// 2026-10-25: 03:00 becomes 02:00; 02:30 comes twice: one run, at
		// the second (CET).
		{"clocks back", at(2026, 10, 24, 12, 0), time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)},
		{"clocks back, after the first 02:30", time.Date(2026, 10, 25, 0, 45, 0, 0, time.UTC), time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)},
		{"clocks back, after the second 02:30", time.Date(2026, 10, 25, 1, 45, 0, 0, time.UTC), at(2026, 10, 26, 2, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nextDaily(tt.now, 2, 30)
			if !got.Equal(tt.want) {
				t.Errorf("nextDaily(%v) = %v, want %v", tt.now, got, tt.want)
			}
			if !got.After(tt.now) || got.Sub(tt.now) > 25*time.Hour {
				t.Errorf("nextDaily(%v) = %v: not within the next day", tt.now, got)
			}
		})
	}

}
