package booking

import (
	"fmt"
	"strings"
	"time"

	"clinicgw/sync/wire/workday"
)

// Quiet hours: no reminder is sent at night. A reminder whose instant
// (the type's hours before the start) falls in the unit's quiet hours
// (Stockholm wall clock, default 21:00–08:00) waits until they end; if
// they end only when the visit has begun (2 h before a 07:00 visit is
// 05:00, and 08:00 is too late), it is brought forward to the last hour
// before they began (20:00 the evening before), and goes only if the
// booking was made before that. A retry never goes in quiet hours either,
// and no reminder ever goes once the visit has begun. The wall clock is
// read in Europe/Stockholm at each instant, so the quiet hours follow the
// daylight-saving changes.

// QuietHours are the minutes after midnight, Stockholm time, when quiet
// hours begin and end; End before Begin spans midnight. Equal: none.
type QuietHours struct {
	Begin, End int
}

// DefaultQuietHours are 21:00–08:00.
var DefaultQuietHours = QuietHours{Begin: 21 * 60, End: 8 * 60}

// ParseQuietHours reads "HH:MM-HH:MM" (a begin and an end, Stockholm
// time); "" is DefaultQuietHours, "off" none.
func ParseQuietHours(s string) (QuietHours, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return DefaultQuietHours, nil
	case "off":
		return QuietHours{}, nil
	}
	b, e, ok := strings.Cut(s, "-")
	bm, err1 := parseClock(strings.TrimSpace(b))
	em, err2 := parseClock(strings.TrimSpace(e))
	if !ok || err1 != nil || err2 != nil || bm == em {
		return QuietHours{}, fmt.Errorf("quiet hours %q: write them as HH:MM-HH:MM, like \"21:00-08:00\", or \"off\"", s)
	}
	return QuietHours{Begin: bm, End: em}, nil
}

// none reports whether q are no quiet hours at all.
func (q QuietHours) none() bool { return q.Begin == q.End }

// span returns the quiet hours around t: whether t is in them, and if so
// the instants they began and end.
func (q QuietHours) span(t time.Time) (in bool, begin, end time.Time) {
	if q.none() {
		return false, time.Time{}, time.Time{}
	}
	loc := workday.Stockholm()
	l := t.In(loc)
	y, mo, d := l.Date()
	m := l.Hour()*60 + l.Minute()
	at := func(day, min int) time.Time { return time.Date(y, mo, d+day, 0, min, 0, 0, loc) }
	switch {
	case q.Begin < q.End: // within a day
		if m >= q.Begin && m < q.End {
			return true, at(0, q.Begin), at(0, q.End)
		}
	case m >= q.Begin: // the evening part
		return true, at(0, q.Begin), at(1, q.End)
	case m < q.End: // the morning part
		return true, at(-1, q.Begin), at(0, q.End)
	}
	return false, time.Time{}, time.Time{}
}

// sendAt is when a reminder due at at for a visit starting at start goes:
// at itself outside quiet hours, else when they end, else (they end too
// late) an hour before they began; ok false if even that is not before
// the start.
func (q QuietHours) sendAt(at, start time.Time) (time.Time, bool) {
	in, begin, end := q.span(at)
	switch {
	case !in:
		return at, at.Before(start)
	case end.Before(start):
		return end, true
	default:
		early := begin.Add(-time.Hour)
		if quiet, _, _ := q.span(early); quiet {
			return time.Time{}, false
		}
		return early, early.Before(start)
	}
}

// quiet reports whether t is in the quiet hours.
func (q QuietHours) quiet(t time.Time) bool {
	in, _, _ := q.span(t)
	return in
}

// maxShift is the most a reminder moves from its instant: a quiet span.
const maxShift = 24 * time.Hour
