package cases

import (
	"testing"
	"time"

	"clinicgw/sync/wire/workday"
)

func TestDueDate(t *testing.T) {
	sthlm := workday.Stockholm()
	at := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, sthlm) }
	tests := []struct {
		name     string
		received time.Time
		due      time.Time // the date of the due day; the time is ignored
	}{
		{"Monday morning", at(2026, 1, 12, 8, 0), at(2026, 1, 14, 0, 0)},
		{"Monday just before midnight", at(2026, 1, 12, 23, 59), at(2026, 1, 14, 0, 0)},
		{"late evening in UTC is the next day in Stockholm",
			time.Date(2026, 1, 12, 23, 30, 0, 0, time.UTC), at(2026, 1, 15, 0, 0)},
		{"Wednesday", at(2026, 1, 14, 12, 0), at(2026, 1, 16, 0, 0)},
		{"Thursday", at(2026, 1, 15, 12, 0), at(2026, 1, 19, 0, 0)},
		{"Friday", at(2026, 1, 16, 16, 30), at(2026, 1, 20, 0, 0)},
		{"Saturday", at(2026, 1, 17, 10, 0), at(2026, 1, 20, 0, 0)},
		{"Sunday", at(2026, 1, 18, 22, 0), at(2026, 1, 20, 0, 0)},
		{"before Trettondedag jul", at(2026, 1, 5, 9, 0), at(2026, 1, 8, 0, 0)},

		{"Easter 2026: Wednesday before", at(2026, 4, 1, 9, 0), at(2026, 4, 7, 0, 0)},
		{"Easter 2026: Maundy Thursday", at(2026, 4, 2, 9, 0), at(2026, 4, 8, 0, 0)},
		{"Easter 2026: Good Friday", at(2026, 4, 3, 9, 0), at(2026, 4, 8, 0, 0)},
		{"Easter 2026: Easter Monday", at(2026, 4, 6, 9, 0), at(2026, 4, 8, 0, 0)},

		{"Ascension 2026: Wednesday before", at(2026, 5, 13, 9, 0), at(2026, 5, 18, 0, 0)},

		{"midsummer 2026: Wednesday", at(2026, 6, 17, 9, 0), at(2026, 6, 22, 0, 0)},
		{"midsummer 2026: Thursday", at(2026, 6, 18, 9, 0), at(2026, 6, 23, 0, 0)},
		{"midsummer 2026: Midsommarafton", at(2026, 6, 19, 9, 0), at(2026, 6, 23, 0, 0)},

		{"Christmas 2026: Tuesday before", at(2026, 12, 22, 9, 0), at(2026, 12, 28, 0, 0)},
		{"Christmas 2026: Wednesday before", at(2026, 12, 23, 9, 0), at(2026, 12, 29, 0, 0)},
		{"Christmas 2026: Julafton", at(2026, 12, 24, 9, 0), at(2026, 12, 29, 0, 0)},
		{"New Year 2027: Tuesday 29 Dec", at(2026, 12, 29, 9, 0), at(2027, 1, 4, 0, 0)},
		{"New Year 2027: Wednesday 30 Dec", at(2026, 12, 30, 9, 0), at(2027, 1, 5, 0, 0)},
		{"New Year 2027: Nyårsafton", at(2026, 12, 31, 9, 0), at(2027, 1, 5, 0, 0)},
		{"New Year 2027: Monday 4 Jan, Trettondedag on Wednesday", at(2027, 1, 4, 9, 0), at(2027, 1, 7, 0, 0)},

		// Summer time starts 02:00 Sunday 29 March 2026 and ends 03:00 Sunday 25 October 2026.
		{"DST spring: Friday", at(2026, 3, 27, 16, 0), at(2026, 3, 31, 0, 0)},
		{"DST spring: Saturday night", at(2026, 3, 28, 23, 30), at(2026, 3, 31, 0, 0)},
		{"DST spring: during the change", time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), at(2026, 3, 31, 0, 0)},
		{"DST autumn: Friday", at(2026, 10, 23, 16, 0), at(2026, 10, 27, 0, 0)},
		{"DST autumn: Sunday", at(2026, 10, 25, 12, 0), at(2026, 10, 27, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DueDate(tt.received)
			y, m, d := tt.due.Date()
			want := time.Date(y, m, d, 23, 59, 59, 999999999, sthlm)
			if !got.Equal(want) {
				t.Fatalf("DueDate(%s) = %s, want %s", tt.received.Format(time.RFC3339),
					got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
			}
			local := got.In(sthlm)
			if local.Hour() != 23 || local.Minute() != 59 || local.Second() != 59 {
				t.Errorf("DueDate(%s) = %s, not the end of a Stockholm day", tt.received, local)
			}
			if !workday.IsWorkingDay(got) {
				t.Errorf("DueDate(%s) = %s, not a working day", tt.received, got)
			}
			if n := workday.WorkingDaysBetween(tt.received, got); n != 2 {
				t.Errorf("workday.WorkingDaysBetween(received, due) = %d, want 2", n)
			}
		})
	}
}

func TestDueDateAcrossDSTKeepsOffset(t *testing.T) {
	sthlm := workday.Stockholm()
	// Received in winter time, due in summer time: the offset follows the due day.
	due := DueDate(time.Date(2026, 3, 27, 16, 0, 0, 0, sthlm))
	if _, off := due.In(sthlm).Zone(); off != 2*3600 {
		t.Errorf("due %s has offset %d, want +02:00 (CEST)", due, off)
	}
	if want := time.Date(2026, 3, 31, 21, 59, 59, 999999999, time.UTC); !due.Equal(want) {
		t.Errorf("due = %s, want %s", due.UTC(), want)
	}
	due = DueDate(time.Date(2026, 10, 23, 16, 0, 0, 0, sthlm))
	if want := time.Date(2026, 10, 27, 22, 59, 59, 999999999, time.UTC); !due.Equal(want) {
		t.Errorf("due = %s, want %s", due.UTC(), want)
	}
}

func TestIsOverdue(t *testing.T) {
	sthlm := workday.Stockholm()
	due := DueDate(time.Date(2026, 1, 12, 8, 0, 0, 0, sthlm)) // end of Wednesday 14 January
	tests := []struct {
		name string
		now  time.Time
		want bool
	}{
		{"at receipt", time.Date(2026, 1, 12, 8, 0, 0, 0, sthlm), false},
		{"last minute of the due day", time.Date(2026, 1, 14, 23, 59, 0, 0, sthlm), false},
		{"exactly at due", due, false},
		{"one nanosecond later", due.Add(time.Nanosecond), true},
		{"midnight after", time.Date(2026, 1, 15, 0, 0, 0, 0, sthlm), true},
		{"same instant in UTC", time.Date(2026, 1, 14, 22, 59, 59, 999999999, time.UTC), false},
		{"a week later", time.Date(2026, 1, 21, 9, 0, 0, 0, sthlm), true},
	}
	for _, tt := range tests {
		if got := IsOverdue(due, tt.now); got != tt.want {
			t.Errorf("%s: IsOverdue(%s, %s) = %v, want %v", tt.name, due, tt.now, got, tt.want)
		}
	}
}
