package booking

import (
	"testing"
	"time"
)

// TestReminderQuietHours: with the default quiet hours (21:00–08:00,
// Stockholm time) a reminder due at night waits until 08:00, or, when
// 08:00 is after the visit began, goes at 20:00 the evening before if the
// booking was made before then; never at night, never after the start;
// across both daylight-saving changes. The clock steps every five minutes
// from two days before the visit to an hour after it: the reminder goes
// at exactly one instant, the one wanted.
func TestReminderQuietHours(t *testing.T) {
	tests := []struct {
		name     string
		start    time.Time // Stockholm wall clock
		hours    int
		bookedAt time.Time // zero: ten days before
		want     time.Time // zero: no reminder
	}{
		{"24 h before 08:00 is 08:00: sent then", stockholm(2026, 11, 24, 8, 0), 24, time.Time{}, stockholm(2026, 11, 23, 8, 0)},
		{"24 h before 14:00 is daytime", stockholm(2026, 11, 24, 14, 0), 24, time.Time{}, stockholm(2026, 11, 23, 14, 0)},
		{"3 h before 10:00 is 07:00: waits until 08:00", stockholm(2026, 11, 24, 10, 0), 3, time.Time{}, stockholm(2026, 11, 24, 8, 0)},
		{"2 h before 07:00 is 05:00: 20:00 the evening before", stockholm(2026, 11, 24, 7, 0), 2, time.Time{}, stockholm(2026, 11, 23, 20, 0)},
		{"1 h before 23:00 is 22:00: 20:00 that evening", stockholm(2026, 11, 24, 23, 0), 1, time.Time{}, stockholm(2026, 11, 24, 20, 0)},
		{"12 h before 09:00 is 21:00: 08:00 that morning", stockholm(2026, 11, 24, 9, 0), 12, time.Time{}, stockholm(2026, 11, 24, 8, 0)},
		{"2 h before 07:00, booked at 20:30: none", stockholm(2026, 11, 24, 7, 0), 2, stockholm(2026, 11, 23, 20, 30), time.Time{}},
		{"2 h before 08:30 is 06:30, 08:00 is before the start", stockholm(2026, 11, 24, 8, 30), 2, time.Time{}, stockholm(2026, 11, 24, 8, 0)},
		// Spring forward: 4 h before 09:00 CEST (07:00 UTC) is 03:00 UTC,
		// 05:00 CEST; the quiet hours end at 08:00 CEST, 06:00 UTC.
		{"spring day", stockholm(2026, 3, 29, 9, 0), 4, time.Time{}, time.Date(2026, 3, 29, 6, 0, 0, 0, time.UTC)},
		// 10 h before 10:00 CEST (08:00 UTC) is 22:00 UTC on the 28th,
		// 23:00 CET: waits until 08:00 CEST.
		{"spring night", stockholm(2026, 3, 29, 10, 0), 10, time.Time{}, time.Date(2026, 3, 29, 6, 0, 0, 0, time.UTC)},
		// Fall back: 8 h before 09:00 CET (08:00 UTC) is 00:00 UTC, the
		// first 02:00 (CEST); the quiet hours end at 08:00 CET, 07:00 UTC.
		{"autumn day", stockholm(2026, 10, 25, 9, 0), 8, time.Time{}, time.Date(2026, 10, 25, 7, 0, 0, 0, time.UTC)},
		// 2 h before 07:30 CET (06:30 UTC) is 04:30 UTC: 20:00 CEST on the
		// 24th (18:00 UTC), 25 elapsed hours before the night's end.
		{"autumn early visit", stockholm(2026, 10, 25, 7, 30), 2, time.Time{}, time.Date(2026, 10, 24, 18, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			booked := tc.bookedAt
			if booked.IsZero() {
				booked = tc.start.AddDate(0, 0, -10)
			}
			f := newFixture(t, booked)
			f.bookWithReminder(tc.start, tc.hours)
			s := &fakeSender{}
			r := f.reminders(s)
			var sentAt []time.Time
			step := func(at time.Time) {
				if at.Before(booked) {
					return
				}
				f.clock.Set(at)
				if n := f.sendDue(r); n > 0 {
					sentAt = append(sentAt, at)
				}
			}
			for at := tc.start.Add(-49 * time.Hour).Truncate(5 * time.Minute); at.Before(tc.start.Add(time.Hour)); at = at.Add(5 * time.Minute) {
				if !tc.want.IsZero() && at.Before(tc.want) && !at.Add(5*time.Minute).Before(tc.want) {
					step(tc.want.Add(-time.Second))
					step(tc.want)
				}
				step(at)
			}
			switch {
			case tc.want.IsZero() && len(sentAt) > 0:
				t.Errorf("reminders sent at %v (Stockholm), want none", local(sentAt))
			case !tc.want.IsZero() && (len(sentAt) != 1 || !sentAt[0].Equal(tc.want)):
				t.Errorf("reminders sent at %v (Stockholm), want once at %v", local(sentAt), Local(tc.want).Format("2006-01-02 15:04:05"))
			}
		})
	}
}

func local(ts []time.Time) []string {
	var out []string
	for _, t := range ts {
		out = append(out, Local(t).Format("2006-01-02 15:04:05"))
	}
	return out
}

// TestReminderRetryNotInQuietHours: a reminder that failed at 20:00 is
// not retried in the night; its visit at 07:30 begins before the quiet
// hours end, so it is never sent.
func TestReminderRetryNotInQuietHours(t *testing.T) {
	start := stockholm(2026, 11, 24, 7, 30)
	f := newFixture(t, start.AddDate(0, 0, -10))
	f.bookWithReminder(start, 2)
	s := &fakeSender{down: true}
	r := f.reminders(s)
	f.clock.Set(stockholm(2026, 11, 23, 20, 0))
	f.sendDue(r)
	tries := s.tries
	if tries != 2 {
		t.Fatalf("%d attempts at 20:00, want 2", tries)
	}
	s.setDown(false)
	for at := stockholm(2026, 11, 23, 21, 0); at.Before(start.Add(time.Hour)); at = at.Add(5 * time.Minute) {
		f.clock.Set(at)
		if f.sendDue(r); s.tries != tries {
			t.Fatalf("a retry at %s (Stockholm)", Local(at).Format("15:04"))
		}
	}
}

// TestParseQuietHours: the configuration's spelling.
func TestParseQuietHours(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want QuietHours
		ok   bool
	}{
		{"", DefaultQuietHours, true},
		{"21:00-08:00", QuietHours{21 * 60, 8 * 60}, true},
		{" 22:30 - 07:15 ", QuietHours{22*60 + 30, 7*60 + 15}, true},
		{"12:00-13:00", QuietHours{12 * 60, 13 * 60}, true},
		{"off", QuietHours{}, true},
		{"08:00-08:00", QuietHours{}, false},
		{"21-08", QuietHours{}, false},
		{"25:00-08:00", QuietHours{}, false},
		{"21:00", QuietHours{}, false},
	} {
		got, err := ParseQuietHours(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("%q: %+v, %v", tc.in, got, err)
		}
	}
}
