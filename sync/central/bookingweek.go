package central

import (
	"time"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/workday"
)

// The free-times page shows a week at a time: eight weeks of a type's
// times (3,200 at 20 clinicians of four types) on one page would be a page
// of hundreds of kilobytes to render at every look and for a screen
// reader to wade through. ?vecka=YYYY-MM-DD is the week's first day
// (Swedish date); without it the week begins on the day of the first free
// time. "Tidigare tider" and "Senare tider" lead to the week before and
// to the next week that has a free time.

// bookingWeekDays is how many days one free-times page shows.
const bookingWeekDays = 7

// week returns the times of ofType (in start order) in the week the page
// shows, and sets bv.Earlier and bv.Later. A vecka that is not a date is
// taken as none.
func (bv *bookingView) week(ofType []wire.BookingTime, vecka string) []wire.BookingTime {
	if len(ofType) == 0 {
		return nil
	}
	stockholm := workday.Stockholm()
	midnight := func(t time.Time) time.Time {
		t = t.In(stockholm)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, stockholm)
	}
	from, err := time.ParseInLocation(time.DateOnly, vecka, stockholm)
	if err != nil {
		from = midnight(ofType[0].Start)
	}
	to := from.AddDate(0, 0, bookingWeekDays)
	var out []wire.BookingTime
	for _, t := range ofType {
		switch {
		case t.Start.Before(from):
			bv.Earlier = from.AddDate(0, 0, -bookingWeekDays).Format(time.DateOnly)
		case t.Start.Before(to):
			out = append(out, t)
		case bv.Later == "":
			bv.Later = midnight(t.Start).Format(time.DateOnly)
		}
	}
	return out
}
