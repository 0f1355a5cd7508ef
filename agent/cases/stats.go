package cases

import (
	"slices"
	"time"

	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/workday"
)

// Stats are a care unit's statistics for a period. They hold counts and
// durations only, never anything about a patient, so they may be shown to
// a unit administrator and exported.
//
// Two populations are counted. The period's cases are those received in
// [From, To): Received, ByType, ByStatus, Unanswered, Overdue and each
// week's Received describe them (ByStatus sums to Received). The period's
// answers are the first final answers sent in [From, To), whenever the
// case arrived: Answered, Handling, HandlingByType and each week's
// Answered describe them. For the whole current backlog, pass a zero From
// and To.
type Stats struct {
	From time.Time // start of the period, inclusive
	To   time.Time // end of the period, exclusive; zero means no end
	Now  time.Time // when Unanswered and Overdue were judged

	Received   int                   // cases received in the period
	ByType     map[casetype.Type]int // the period's cases per case type
	ByStatus   map[Status]int        // the period's cases per current status
	Unanswered int                   // the period's cases still open (Status.Open)
	Overdue    int                   // the period's cases still open and past due at Now

	Answered       int                            // cases first answered in the period
	Handling       HandlingTime                   // receipt to first answer, for the period's answers
	HandlingByType map[casetype.Type]HandlingTime // the same per case type

	Weeks []WeekCount // ISO weeks in Stockholm time with anything to count, in order

	// ByGroup are the same counts per staff group the cases were routed
	// to ("": the inbox), for each group with anything to count
	// (statsgroup.go).
	ByGroup map[GroupID]GroupStats
}

// HandlingTime summarises how long cases took from receipt to the first
// final answer (wall-clock time, not working time). Count and Mean are
// exact. Median and P90 are nearest-rank percentiles (the p-th percentile
// of n sorted times is the ceil(p/100·n)-th smallest; the median of an
// even count is the lower of the middle two) read from a histogram
// (statshist.go): rounded down to the minute, and above 4 h 15 min by
// less than 0.8 % of the figure; never above the exact percentile. All
// are zero when Count is zero.
type HandlingTime struct {
	Count  int
	Mean   time.Duration
	Median time.Duration
	P90    time.Duration
}

// WeekCount is one ISO week (Monday to Sunday, Stockholm time) of Stats.
type WeekCount struct {
	Year     int // the ISO year, which may differ from the calendar year around New Year
	Week     int // 1–53
	Received int // of the period's cases, received this week
	Answered int // of the period's answers, sent this week
}

// isoWeek keys StatsBuilder's weeks.
type isoWeek struct{ year, week int }

// StatsBuilder computes Stats one case at a time, so that statistics over
// many cases need not hold them all: it keeps counts and a histogram of
// the handling times (statshist.go). The zero value is not usable; call NewStatsBuilder.
type StatsBuilder struct {
	from, to, now time.Time

	received, unanswered, overdue, answered int
	byType                                  map[casetype.Type]int
	byStatus                                map[Status]int
	handlingByType                          map[casetype.Type]*handlingAcc
	weeks                                   map[isoWeek]*WeekCount
	groups                                  map[GroupID]*groupBuilder // statsgroup.go
	// last is the day dayIn was last asked about (statsagg.go).
	last struct {
		set, in bool
		day     StatsDay
		wc      *WeekCount
	}
}

// NewStatsBuilder returns a StatsBuilder for the period [from, to) (a zero
// to means no end), judging overdue cases at now.
func NewStatsBuilder(from, to, now time.Time) *StatsBuilder {
	return &StatsBuilder{
		from:           from,
		to:             to,
		now:            now,
		byType:         make(map[casetype.Type]int),
		byStatus:       make(map[Status]int),
		handlingByType: make(map[casetype.Type]*handlingAcc),
		weeks:          make(map[isoWeek]*WeekCount),
	}
}

func (b *StatsBuilder) inPeriod(t time.Time) bool {
	return !t.Before(b.from) && (b.to.IsZero() || t.Before(b.to))
}

func (b *StatsBuilder) week(t time.Time) *WeekCount {
	y, w := t.In(workday.Stockholm()).ISOWeek()
	k := isoWeek{y, w}
	wc := b.weeks[k]
	if wc == nil {
		wc = &WeekCount{Year: y, Week: w}
		b.weeks[k] = wc
	}
	return wc
}

// Add counts one case; a nil case is ignored. It reads only the case's
// type, status and times. It counts a case in the period and week of its
// arrival here (ReceivedAt) and its handling time from then; a case with no
// DueAt is judged against the due date of when it was sent (SentAt). A first answer stamped before receipt (clocks out
// of step) counts as taking no time.
func (b *StatsBuilder) Add(c *Case) {
	if c == nil {
		return
	}
	if b.inPeriod(c.ReceivedAt) {
		g := b.group(c.Group)
		b.received++
		g.received++
		b.byType[c.Type]++
		g.byType[c.Type]++
		b.byStatus[c.Status]++
		g.byStatus[c.Status]++
		if c.Status.Open() {
			b.unanswered++
			g.unanswered++
			if IsOverdue(dueOf(c), b.now) {
				b.overdue++
				g.overdue++
			}
		}
		b.week(c.ReceivedAt).Received++
	}
	if !c.AnsweredAt.IsZero() && b.inPeriod(c.AnsweredAt) {
		d := handlingOf(c)
		g := b.group(c.Group)
		b.answered++
		g.answered++
		b.typeAcc(c.Type).add(d)
		g.handling.add(d)
		b.week(c.AnsweredAt).Answered++
	}
}

// Result returns the statistics of the cases added so far. The builder
// may go on adding after it; the result shares nothing with it.
func (b *StatsBuilder) Result() Stats {
	s := Stats{
		From:           b.from,
		To:             b.to,
		Now:            b.now,
		Received:       b.received,
		ByType:         make(map[casetype.Type]int, len(b.byType)),
		ByStatus:       make(map[Status]int, len(b.byStatus)),
		Unanswered:     b.unanswered,
		Overdue:        b.overdue,
		Answered:       b.answered,
		Handling:       b.allHandling(),
		HandlingByType: make(map[casetype.Type]HandlingTime, len(b.handlingByType)),
		Weeks:          make([]WeekCount, 0, len(b.weeks)),
		ByGroup:        b.groupResults(),
	}
	for k, v := range b.byType {
		s.ByType[k] = v
	}
	for k, v := range b.byStatus {
		s.ByStatus[k] = v
	}
	for k, v := range b.handlingByType {
		s.HandlingByType[k] = v.result()
	}
	for _, w := range b.weeks {
		s.Weeks = append(s.Weeks, *w)
	}
	slices.SortFunc(s.Weeks, func(a, b WeekCount) int {
		if a.Year != b.Year {
			return a.Year - b.Year
		}
		return a.Week - b.Week
	})
	return s
}

// allHandling summarises the handling times of every type together.
func (b *StatsBuilder) allHandling() HandlingTime {
	var all handlingAcc
	for _, a := range b.handlingByType {
		all.addAcc(a)
	}
	return all.result()
}

// typeAcc returns the handling times of the type typ.
func (b *StatsBuilder) typeAcc(typ casetype.Type) *handlingAcc {
	a := b.handlingByType[typ]
	if a == nil {
		a = &handlingAcc{}
		b.handlingByType[typ] = a
	}
	return a
}

// ComputeStats returns the Stats of cs for the period [from, to), judged at
// now; see StatsBuilder for many cases read one at a time.
func ComputeStats(cs []*Case, from, to, now time.Time) Stats {
	b := NewStatsBuilder(from, to, now)
	for _, c := range cs {
		b.Add(c)
	}
	return b.Result()
}
