package booking

import (
	"fmt"
	"time"

	"clinicgw/sync/wire/workday"
)

// date is a calendar date in Stockholm, without a time.
type date struct {
	y int
	m time.Month
	d int
}

func parseDate(s string) (date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return date{}, fmt.Errorf("date %q: write it as YYYY-MM-DD", s)
	}
	return date{t.Year(), t.Month(), t.Day()}, nil
}

func dateOf(t time.Time) date {
	y, m, d := t.In(workday.Stockholm()).Date()
	return date{y, m, d}
}

func (d date) civil() time.Time       { return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC) }
func (d date) before(o date) bool     { return d.civil().Before(o.civil()) }
func (d date) addDays(n int) date     { return dateOf0(d.civil().AddDate(0, 0, n)) }
func (d date) weekday() time.Weekday  { return d.civil().Weekday() }
func (d date) String() string         { return d.civil().Format(time.DateOnly) }
func dateOf0(t time.Time) date        { return date{t.Year(), t.Month(), t.Day()} }
func (d date) midnight() time.Time    { return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, workday.Stockholm()) }
func (d date) inRange(f, u date) bool { return !d.before(f) && !u.before(d) }

// parseClock reads "HH:MM" as minutes after midnight.
func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("time of day %q: write it as HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Resolve is the instant of wall-clock time minute (minutes after
// midnight) on date d in Stockholm. A wall-clock time that does not exist
// that day (inside the spring-forward gap) gives ok false: no time is made.
// One that happens twice (inside the autumn repeated hour) gives the
// first of the two, the one in summer time. time.Date alone does not
// promise which of the two it returns, so both are checked here.
func resolve(d date, minute int) (time.Time, bool) {
	loc := workday.Stockholm()
	h, m := minute/60, minute%60
	t := time.Date(d.y, d.m, d.d, h, m, 0, 0, loc)
	if !sameWall(t, d, h, m) {
		return time.Time{}, false // the gap
	}
	// The earliest instant with this wall-clock time: a repeated hour is
	// at most an hour back.
	if e := t.Add(-time.Hour); sameWall(e, d, h, m) {
		t = e
	}
	return t.UTC(), true
}

func sameWall(t time.Time, d date, h, m int) bool {
	l := t.In(workday.Stockholm())
	y, mo, da := l.Date()
	return y == d.y && mo == d.m && da == d.d && l.Hour() == h && l.Minute() == m
}

// Local shows an instant as Stockholm wall-clock time, for display.
func Local(t time.Time) time.Time { return t.In(workday.Stockholm()) }
