package cases

import (
	"context"
	"time"

	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/workday"
)

// Statistics from aggregates. A store that keeps, in the same transaction
// as every write of a case, what each case adds to the statistics (its
// StatsTally, summed per Stockholm day) answers Stats without opening a
// single case (StatsStore): a view costs the days it shows, not the cases
// the store holds. The sums are exact, not a sketch: per receipt day (and
// per receipt week, whose Monday a store passes as the day) the count of
// cases per type and current status; per (due time, receipt day)
// the count of open cases, for Overdue; per answer day and type, and per
// answer week and type, a histogram of the handling times (HandlingHist:
// exact counts per bucket and the exact sum; the percentiles read from it
// are as precise as statshist.go says). A full recount from the cases
// gives the same sums (agent/store's RecountStats, `clinicgw stats
// --recount`).
//
// The sums are per day, so they answer a period whose ends are Stockholm
// midnights (or open), which is every period the UI, the CSV and the
// command line ask for; another period is counted from the cases as
// before (StatsBuilder.Days).

// StatsDay is a calendar day in Stockholm, numbered from 1970-01-01 (day
// 0; earlier days are negative).
type StatsDay int32

// StatsDayOf returns the Stockholm day of t.
func StatsDayOf(t time.Time) StatsDay {
	y, m, d := t.In(workday.Stockholm()).Date()
	return StatsDay(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400) // exact: a UTC midnight
}

// Start returns the first instant of the day, Stockholm time.
func (d StatsDay) Start() time.Time {
	u := time.Unix(int64(d)*86400, 0).UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, workday.Stockholm())
}

// StatsTally is what one case adds to the statistics' aggregates: the
// fields of the case StatsBuilder.Add reads, reduced to what it counts.
type StatsTally struct {
	Counted  bool     // false: the case adds nothing (another unit's case)
	Received StatsDay // the day of ReceivedAt
	Type     casetype.Type
	Status   Status
	Group    string // the staff group the case was routed to; "" the inbox
	// Due is when an open case is overdue after; zero for a case that is
	// not open.
	Due time.Time
	// Answered says the case has a first answer, on AnsweredDay, Handling
	// after its receipt.
	Answered    bool
	AnsweredDay StatsDay
	Handling    time.Duration
	// Inbox is what the case adds to the inbox's counts (InboxBucketOf),
	// when InInbox; set for a case of any unit, as the inbox lists them.
	Inbox   InboxBucket
	InInbox bool
}

// TallyOf returns what c, stored by a store of unit, adds to the
// statistics; a case of another unit adds nothing (Service.Stats counts
// only its own unit's cases).
func TallyOf(c *Case, unit string) StatsTally {
	if c == nil {
		return StatsTally{}
	}
	ib, in := InboxBucketOf(c)
	if c.Unit != unit {
		return StatsTally{Inbox: ib, InInbox: in}
	}
	t := StatsTally{Counted: true, Received: StatsDayOf(c.ReceivedAt), Type: c.Type, Status: c.Status, Group: c.Group, Inbox: ib, InInbox: in}
	if c.Status.Open() {
		t.Due = dueOf(c)
	}
	if !c.AnsweredAt.IsZero() {
		t.Answered = true
		t.AnsweredDay = StatsDayOf(c.AnsweredAt)
		t.Handling = handlingOf(c)
	}
	return t
}

// dueOf is when an open case counts as overdue after: its DueAt, or for a
// case with none the due date of when it was sent.
func dueOf(c *Case) time.Time {
	if !c.DueAt.IsZero() {
		return c.DueAt
	}
	return DueWithin(DueFrom(c.SentAt, c.ReceivedAt), c.answerDays())
}

// handlingOf is c's time from receipt to first answer; an answer stamped
// before receipt (clocks out of step) counts as taking no time.
func handlingOf(c *Case) time.Duration { return max(c.AnsweredAt.Sub(c.ReceivedAt), 0) }

// StatsStore is a Store that keeps the statistics' aggregates in step with
// every write of a case (agent/store). Service.Stats uses it when its
// Store has it and the period's ends are Stockholm midnights.
type StatsStore interface {
	// AddStats adds to b the aggregates of unit's cases for b's period
	// (b.Days), in one consistent snapshot, and reports true; it reports
	// false, having added nothing, when it keeps no aggregates for unit.
	AddStats(ctx context.Context, unit string, b *StatsBuilder) (bool, error)
}

// Days reports whether the period's ends are Stockholm midnights or open,
// so that Stats may be summed from per-day aggregates exactly, and the
// days [first, end) the period spans; a zero from or to leaves that side
// unbounded (bounded reports which sides are bounded).
func (b *StatsBuilder) Days() (first, end StatsDay, fromBounded, toBounded, ok bool) {
	onMidnight := func(t time.Time) bool { return t.Equal(StatsDayOf(t).Start()) }
	if !b.from.IsZero() {
		if !onMidnight(b.from) {
			return 0, 0, false, false, false
		}
		first, fromBounded = StatsDayOf(b.from), true
	}
	if !b.to.IsZero() {
		if !onMidnight(b.to) {
			return 0, 0, false, false, false
		}
		end, toBounded = StatsDayOf(b.to), true
	}
	return first, end, fromBounded, toBounded, true
}

// Now returns when the builder judges open cases overdue.
func (b *StatsBuilder) Now() time.Time { return b.now }

// dayIn reports whether day is in the period (Days ok): an open end
// takes every day, even one whose Stockholm midnight is before the zero
// time. It keeps the last day asked about, with its week (dayWeek):
// the aggregates give many counts of one day in a row.
func (b *StatsBuilder) dayIn(day StatsDay) bool {
	if b.last.set && b.last.day == day {
		return b.last.in
	}
	start := day.Start()
	b.last.set, b.last.day, b.last.wc = true, day, nil
	b.last.in = (b.from.IsZero() || !start.Before(b.from)) && (b.to.IsZero() || start.Before(b.to))
	return b.last.in
}

// dayWeek returns the week of day, which dayIn was just asked about.
func (b *StatsBuilder) dayWeek(day StatsDay) *WeekCount {
	if b.last.set && b.last.day == day && b.last.wc != nil {
		return b.last.wc
	}
	wc := b.week(day.Start())
	b.dayIn(day)
	b.last.wc = wc
	return wc
}

// AddReceived counts n cases received on day, of type typ, now in status
// st, routed to group (the aggregates' per-day counts); for cases
// received over a whole week, day is the week's Monday and the whole week
// must be in the period. Only for a period Days accepts.
func (b *StatsBuilder) AddReceived(day StatsDay, typ casetype.Type, st Status, group string, n int) {
	if n == 0 || !b.dayIn(day) {
		return
	}
	g := b.group(group)
	b.received += n
	g.received += n
	b.byType[typ] += n
	g.byType[typ] += n
	b.byStatus[st] += n
	g.byStatus[st] += n
	if st.Open() {
		b.unanswered += n
		g.unanswered += n
	}
	b.dayWeek(day).Received += n
}

// AddOpen counts n open cases received on day, routed to group and due
// at due: overdue when now is past due. Only for a period Days accepts.
func (b *StatsBuilder) AddOpen(day StatsDay, due time.Time, group string, n int) {
	if b.dayIn(day) && IsOverdue(due, b.now) {
		b.overdue += n
		b.group(group).overdue += n
	}
}

// AddAnswers counts the first answers sent on day to cases of type typ
// routed to group, with the histogram h of their handling times; for
// answers over a whole week, day is the week's Monday (StatsWeekOf) and
// the whole week must be in the period. Only for a period Days accepts.
func (b *StatsBuilder) AddAnswers(day StatsDay, typ casetype.Type, group string, h HandlingHist) {
	n := h.Count()
	if n == 0 || !b.dayIn(day) {
		return
	}
	g := b.group(group)
	b.answered += n
	g.answered += n
	addHistTo(b.typeAcc(typ), &g.handling, h)
	b.dayWeek(day).Answered += n
}

// StatsWeekOf returns the Monday of d's ISO week (day 4, 1970-01-05, is
// a Monday).
func StatsWeekOf(d StatsDay) StatsDay {
	r := (d + 3) % 7
	if r < 0 {
		r += 7
	}
	return d - r
}
