package workday

import (
	"sync/atomic"
	"time"
)

// A year's holidays are worked out once (eachHoliday: Easter, midsummer,
// All Saints) and kept as a bit per day, since a due date asks
// IsWorkingDay about the days after every case's arrival. A few recent
// years are kept, each in the slot of its year modulo their number, so
// that a question about another year only replaces one.

// holidayBits is a year's Holidays: bit d of days[m] is set when day d
// of month m is one.
type holidayBits struct {
	year int
	days [13]uint32
}

// holidaySlots holds the years last asked about.
var holidaySlots [4]atomic.Pointer[holidayBits]

// isHoliday reports whether the date is one of the year's Holidays.
func isHoliday(year int, month time.Month, day int) bool {
	slot := &holidaySlots[uint(year)%uint(len(holidaySlots))]
	h := slot.Load()
	if h == nil || h.year != year {
		h = &holidayBits{year: year}
		eachHoliday(year, func(m time.Month, d int, _ string) { h.days[m] |= 1 << d })
		slot.Store(h)
	}
	return month >= time.January && month <= time.December && day >= 0 && day < 32 && h.days[month]&(1<<day) != 0
}
