package workday

import (
	"fmt"
	"sort"
	"sync/atomic"
	"time"
	_ "time/tzdata" // Europe/Stockholm where the OS has no zone database (Windows)
)

// stockholmTZ is the time zone every calendar rule of this package is
// counted in.
var stockholmTZ = loadStockholm()

func loadStockholm() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil { // cannot happen with time/tzdata linked in
		panic(fmt.Sprintf("workday: load time zone: %v", err))
	}
	return loc
}

// Stockholm returns the Europe/Stockholm time zone, in which working days,
// due dates, ages and statistics weeks are counted.
func Stockholm() *time.Location { return stockholmTZ }

// Holiday is a day a Swedish care unit's e-service office is closed that
// is not simply a Saturday or Sunday rule: a public holiday (helgdag) or an
// eve that is a non-working day in practice.
type Holiday struct {
	Date time.Time // midnight at the start of the day, Stockholm time
	Name string    // the Swedish name, such as "Midsommarafton"
}

// Easter returns Easter Sunday of the given year in the Gregorian calendar
// (the anonymous Gregorian computus, Meeus/Jones/Butcher), at midnight
// Stockholm time.
func Easter(year int) time.Time {
	m, d := easterDate(year)
	return time.Date(year, m, d, 0, 0, 0, 0, stockholmTZ)
}

func easterDate(year int) (time.Month, int) {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Month(month), day
}

// holidayRuns counts how many times a year's holidays were worked out
// (eachHoliday): a test holds the calendar to once per year.
var holidayRuns atomic.Int64

// eachHoliday calls fn for every Holiday of the year, in rule order (not
// date order).
func eachHoliday(year int, fn func(m time.Month, d int, name string)) {
	holidayRuns.Add(1)
	em, ed := easterDate(year)
	easter := time.Date(year, em, ed, 12, 0, 0, 0, time.UTC)
	fromEaster := func(days int, name string) {
		t := easter.AddDate(0, 0, days)
		fn(t.Month(), t.Day(), name)
	}
	// saturday returns the Saturday in the seven days starting at m-d.
	saturday := func(m time.Month, d int) time.Time {
		t := time.Date(year, m, d, 12, 0, 0, 0, time.UTC)
		return t.AddDate(0, 0, (int(time.Saturday)-int(t.Weekday())+7)%7)
	}
	midsummer := saturday(time.June, 20)
	eve := midsummer.AddDate(0, 0, -1)
	allSaints := saturday(time.October, 31)

	fn(time.January, 1, "Nyårsdagen")
	fn(time.January, 6, "Trettondedag jul")
	fromEaster(-2, "Långfredagen")
	fromEaster(-1, "Påskafton")
	fromEaster(0, "Påskdagen")
	fromEaster(1, "Annandag påsk")
	fn(time.May, 1, "Första maj")
	fromEaster(39, "Kristi himmelsfärdsdag")
	fromEaster(49, "Pingstdagen")
	fn(time.June, 6, "Nationaldagen")
	fn(eve.Month(), eve.Day(), "Midsommarafton")
	fn(midsummer.Month(), midsummer.Day(), "Midsommardagen")
	fn(allSaints.Month(), allSaints.Day(), "Alla helgons dag")
	fn(time.December, 24, "Julafton")
	fn(time.December, 25, "Juldagen")
	fn(time.December, 26, "Annandag jul")
	fn(time.December, 31, "Nyårsafton")
}

// Holidays returns the year's Swedish public holidays (Nyårsdagen,
// Trettondedag jul, Långfredagen, Påskdagen, Annandag påsk, Första maj,
// Kristi himmelsfärdsdag, Nationaldagen, Pingstdagen, Midsommardagen, Alla
// helgons dag, Juldagen, Annandag jul) and the eves that are non-working
// days in practice (Påskafton, Midsommarafton, Julafton, Nyårsafton), in
// date order. Two may fall on the same date (Pingstdagen is Nationaldagen
// when Easter is on 18 April); both are listed.
func Holidays(year int) []Holiday {
	var hs []Holiday
	eachHoliday(year, func(m time.Month, d int, name string) {
		hs = append(hs, Holiday{Date: time.Date(year, m, d, 0, 0, 0, 0, stockholmTZ), Name: name})
	})
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].Date.Before(hs[j].Date) })
	return hs
}

// IsWorkingDay reports whether the Stockholm date of t is a working day:
// a Monday to Friday that is not one of the Holidays.
func IsWorkingDay(t time.Time) bool {
	t = t.In(stockholmTZ)
	switch t.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return !isHoliday(t.Date())
}

// WorkingDaysBetween counts the working days after the Stockholm date of
// from up to and including the Stockholm date of to; it is 0 if to's date
// is not after from's. WorkingDaysBetween(r, DueDate(r)) is 2.
func WorkingDaysBetween(from, to time.Time) int {
	fy, fm, fd := from.In(stockholmTZ).Date()
	ty, tm, td := to.In(stockholmTZ).Date()
	days := (time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC).Unix() -
		time.Date(fy, fm, fd, 0, 0, 0, 0, time.UTC).Unix()) / 86400
	n := 0
	for i := 1; int64(i) <= days; i++ {
		if IsWorkingDay(time.Date(fy, fm, fd+i, 12, 0, 0, 0, stockholmTZ)) {
			n++
		}
	}
	return n
}
