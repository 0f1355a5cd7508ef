// Package workday is the one home of the Swedish working-day calendar: the
// Europe/Stockholm time zone every date of the product is counted in
// (Stockholm; time/tzdata is linked in, so it works where the system has
// no zone database), the year's public holidays and the eves that are
// non-working days in practice (Holidays, Easter), whether a date is a
// working day (IsWorkingDay; a year's holidays are worked out once and
// kept as a bit per day, holidaycache.go) and how many working days lie
// between two times (WorkingDaysBetween).
//
// The gateway counts due dates in it (agent/cases: two working days after
// the day of receipt), ages of personnummer (sync/wire/personnummer) and
// statistics weeks; the reference central store shows its times in its
// zone. It is a leaf: it imports only the standard library.
package workday
