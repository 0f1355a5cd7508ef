package cases

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/workday"
)

// statsCase builds a case with only what statistics read.
func statsCase(typ casetype.Type, st Status, received, answered, due time.Time) *Case {
	return &Case{Type: typ, Status: st, ReceivedAt: received, AnsweredAt: answered, DueAt: due}
}

func TestComputeStats(t *testing.T) {
	sthlm := workday.Stockholm()
	at := func(m time.Month, d, hh, mm int) time.Time { return time.Date(2026, m, d, hh, mm, 0, 0, sthlm) }
	var none time.Time
	// The period is ISO weeks 3 and 4 of 2026: Monday 12 to Sunday 25 January.
	from, to := at(1, 12, 0, 0), at(1, 26, 0, 0)
	now := at(1, 27, 12, 0) // Tuesday

	// The bookings were routed to the doctors' queue; the rest went to the
	// inbox.
	docs := func(c *Case) *Case { c.Group = "lakare"; return c }
	cs := []*Case{
		// Week 3.
		docs(statsCase(casetype.BookAppointment, Answered, from, at(1, 12, 2, 0), DueDate(from))),                        // 2h; on the period's first instant
		docs(statsCase(casetype.BookAppointment, Closed, at(1, 13, 10, 0), at(1, 14, 10, 0), DueDate(at(1, 13, 10, 0)))), // 24h
		statsCase(casetype.RenewPrescription, Answered, at(1, 14, 8, 0), at(1, 14, 8, 30), none),                         // 30m
		// Open, but its due date was renewed to the end of 28 January: not overdue.
		statsCase(casetype.RenewPrescription, Assigned, at(1, 15, 9, 0), none, time.Date(2026, 1, 28, 23, 59, 59, 999999999, sthlm)),
		// Week 4. Sunday 18 January 23:30 UTC is Monday 00:30 in Stockholm.
		statsCase(casetype.AdviceNurse, WaitingForPatient, time.Date(2026, 1, 18, 23, 30, 0, 0, time.UTC), none, at(1, 21, 0, 0)),
		// Open with no DueAt: judged by DueDate, end of Wednesday 21: overdue.
		statsCase(casetype.ContactMe, PartiallyAnswered, at(1, 19, 10, 0), none, none),
		docs(statsCase(casetype.BookAppointment, Withdrawn, at(1, 20, 9, 0), none, DueDate(at(1, 20, 9, 0)))),
		// Answer stamped a minute before receipt: counts as no time.
		statsCase(casetype.ContactMe, Answered, at(1, 20, 12, 0), at(1, 20, 11, 59), DueDate(at(1, 20, 12, 0))),
		// Due end of Friday 23: overdue.
		statsCase(casetype.RenewSickLeave, Assigned, at(1, 21, 9, 0), none, DueDate(at(1, 21, 9, 0))),
		// Received in the period, answered after it.
		statsCase(casetype.AdviceNurse, Answered, at(1, 24, 12, 0), at(1, 26, 12, 0), DueDate(at(1, 24, 12, 0))),
		// Sunday night: due end of Tuesday 27, not yet overdue.
		statsCase(casetype.AdviceNurse, Received, at(1, 25, 23, 30), none, DueDate(at(1, 25, 23, 30))),
		// Outside the period.
		statsCase(casetype.RenewPrescription, Answered, at(1, 9, 10, 0), at(1, 12, 10, 0), none), // received before, answered in: 72h
		statsCase(casetype.CancelAppointment, Received, to, none, none),                          // the period's end is exclusive
		statsCase(casetype.RecordExtract, Assigned, at(1, 2, 9, 0), none, none),                  // old and overdue, but not the period's
		nil,
	}

	want := Stats{
		From: from, To: to, Now: now,
		Received: 11,
		ByType: map[casetype.Type]int{
			casetype.BookAppointment:   3,
			casetype.RenewPrescription: 2,
			casetype.AdviceNurse:       3,
			casetype.ContactMe:         2,
			casetype.RenewSickLeave:    1,
		},
		ByStatus: map[Status]int{
			Answered:          4,
			Closed:            1,
			Assigned:          2,
			Received:          1,
			WaitingForPatient: 1,
			PartiallyAnswered: 1,
			Withdrawn:         1,
		},
		Unanswered: 4,
		Overdue:    2,
		Answered:   5,
		// Sorted: 0, 30m, 2h, 24h, 72h. Median rank ceil(2.5) = 3; P90 rank ceil(4.5) = 5.
		Handling: HandlingTime{Count: 5, Mean: 19*time.Hour + 42*time.Minute, Median: 2 * time.Hour, P90: 72 * time.Hour},
		HandlingByType: map[casetype.Type]HandlingTime{
			casetype.BookAppointment:   {Count: 2, Mean: 13 * time.Hour, Median: 2 * time.Hour, P90: 24 * time.Hour},
			casetype.RenewPrescription: {Count: 2, Mean: 36*time.Hour + 15*time.Minute, Median: 30 * time.Minute, P90: 72 * time.Hour},
			casetype.ContactMe:         {Count: 1, Median: 0, P90: 0},
		},
		Weeks: []WeekCount{
			{Year: 2026, Week: 3, Received: 4, Answered: 4},
			{Year: 2026, Week: 4, Received: 7, Answered: 1},
		},
		ByGroup: map[GroupID]GroupStats{
			"lakare": {Received: 3, ByType: map[casetype.Type]int{casetype.BookAppointment: 3},
				ByStatus: map[Status]int{Answered: 1, Closed: 1, Withdrawn: 1}, Answered: 2,
				Handling: HandlingTime{Count: 2, Mean: 13 * time.Hour, Median: 2 * time.Hour, P90: 24 * time.Hour}},
			"": {Received: 8, ByType: map[casetype.Type]int{casetype.RenewPrescription: 2, casetype.AdviceNurse: 3, casetype.ContactMe: 2, casetype.RenewSickLeave: 1},
				ByStatus:   map[Status]int{Answered: 3, Assigned: 2, Received: 1, WaitingForPatient: 1, PartiallyAnswered: 1},
				Unanswered: 4, Overdue: 2, Answered: 3,
				// 0, 30m, 72h (received before the period, answered in it).
				Handling: HandlingTime{Count: 3, Mean: 24*time.Hour + 10*time.Minute, Median: 30 * time.Minute, P90: 72 * time.Hour}},
		},
	}

	got := ComputeStats(cs, from, to, now)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ComputeStats:\n got %+v\nwant %+v", got, want)
	}

	// The builder, fed one at a time, agrees.
	b := NewStatsBuilder(from, to, now)
	for _, c := range cs {
		b.Add(c)
	}
	if got := b.Result(); !reflect.DeepEqual(got, want) {
		t.Errorf("StatsBuilder:\n got %+v\nwant %+v", got, want)
	}
}

func TestStatsWeeksAcrossNewYear(t *testing.T) {
	sthlm := workday.Stockholm()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 0, 0, 0, sthlm) }
	var none time.Time
	cs := []*Case{
		statsCase(casetype.ContactMe, Closed, day(2025, 12, 29), day(2026, 1, 2), none), // Monday: 2026-W01
		// Sunday 28 December 23:30 UTC is Monday 29 December in Stockholm: 2026-W01.
		statsCase(casetype.ContactMe, Closed, time.Date(2025, 12, 28, 23, 30, 0, 0, time.UTC), none, none),
		statsCase(casetype.ContactMe, Answered, day(2026, 12, 31), day(2027, 1, 4), none), // Thursday: 2026-W53
		statsCase(casetype.ContactMe, Assigned, day(2027, 1, 1), none, none),              // Friday: still 2026-W53
		statsCase(casetype.ContactMe, Assigned, day(2027, 1, 4), none, none),              // Monday: 2027-W01
	}
	// A zero from and to count everything.
	got := ComputeStats(cs, time.Time{}, time.Time{}, day(2027, 1, 5))
	want := []WeekCount{
		{Year: 2026, Week: 1, Received: 2, Answered: 1}, // answered Friday 2 January 2026
		{Year: 2026, Week: 53, Received: 2, Answered: 0},
		{Year: 2027, Week: 1, Received: 1, Answered: 1},
	}
	if !reflect.DeepEqual(got.Weeks, want) {
		t.Errorf("Weeks = %+v, want %+v", got.Weeks, want)
	}
	if got.Received != 5 || got.Answered != 2 || got.Unanswered != 2 {
		t.Errorf("Received, Answered, Unanswered = %d, %d, %d; want 5, 2, 2", got.Received, got.Answered, got.Unanswered)
	}
}

func TestNearestRank(t *testing.T) {
	tests := []struct {
		n           int
		median, p90 time.Duration // with values 1..n minutes
	}{
		{1, 1, 1},
		{2, 1, 2},
		{3, 2, 3},
		{4, 2, 4},
		{5, 3, 5},
		{9, 5, 9},
		{10, 5, 9},
		{11, 6, 10},
		{20, 10, 18},
		{100, 50, 90},
		{101, 51, 91},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			// Given in reverse, and again as a histogram (odd and even
			// minutes apart), as the aggregates give them.
			var a, inHist handlingAcc
			var odd, even HandlingHist
			for i := tt.n; i >= 1; i-- {
				d := time.Duration(i) * time.Minute
				a.add(d)
				h := &odd
				if i%2 == 0 {
					h = &even
				}
				h.Buckets = append([]BucketCount{{HandlingBucketOf(d), 1}}, h.Buckets...)
				h.Sum = h.Sum.Add(d)
			}
			inHist.addHist(odd)
			inHist.addHist(even)
			mean := time.Duration(tt.n+1) * time.Minute / 2
			want := HandlingTime{Count: tt.n, Mean: mean, Median: tt.median * time.Minute, P90: tt.p90 * time.Minute}
			if got, h := a.result(), inHist.result(); got != want || h != want {
				t.Errorf("1..%d minutes: %+v, from histograms %+v, want %+v", tt.n, got, h, want)
			}
		})
	}
	if got := (&handlingAcc{}).result(); got != (HandlingTime{}) {
		t.Errorf("no times: %+v, want zero", got)
	}
}

func TestStatsBuilderResultIsACopy(t *testing.T) {
	now := time.Date(2026, 1, 27, 12, 0, 0, 0, workday.Stockholm())
	b := NewStatsBuilder(time.Time{}, time.Time{}, now)
	b.Add(statsCase(casetype.ContactMe, Received, now.Add(-time.Hour), time.Time{}, time.Time{}))
	first := b.Result()
	first.ByType[casetype.ContactMe] = 99
	first.Weeks[0].Received = 99
	b.Add(statsCase(casetype.ContactMe, Answered, now.Add(-2*time.Hour), now, time.Time{}))
	second := b.Result()
	if second.ByType[casetype.ContactMe] != 2 || second.Weeks[0].Received != 2 || second.Handling.Count != 1 {
		t.Errorf("second Result = %+v; want 2 received, 1 answered", second)
	}
	if first.Received != 1 || first.Handling.Count != 0 {
		t.Errorf("first Result changed by later Add: %+v", first)
	}
}

// TestStatsHoldNoPatientData walks the Stats type: only counts, durations,
// times and the Type and Status keys, nothing that could carry a person.
func TestStatsHoldNoPatientData(t *testing.T) {
	allowed := map[reflect.Type]bool{
		reflect.TypeFor[casetype.Type](): true,
		reflect.TypeFor[Status]():        true,
		reflect.TypeFor[GroupID]():       true, // a group's id (ValidGroupID): no person's name
	}
	var walk func(path string, typ reflect.Type)
	walk = func(path string, typ reflect.Type) {
		if allowed[typ] {
			return
		}
		switch typ.Kind() {
		case reflect.Int, reflect.Int64:
			return
		case reflect.String, reflect.Interface, reflect.Pointer, reflect.Array, reflect.Func, reflect.Chan:
			t.Errorf("%s is a %s: could carry patient data", path, typ)
		case reflect.Map:
			walk(path+"[key]", typ.Key())
			walk(path+"[value]", typ.Elem())
		case reflect.Slice:
			walk(path+"[]", typ.Elem())
		case reflect.Struct:
			if typ == reflect.TypeFor[time.Time]() {
				return
			}
			for i := 0; i < typ.NumField(); i++ {
				f := typ.Field(i)
				walk(path+"."+f.Name, f.Type)
			}
		default:
			t.Errorf("%s has unexpected kind %s", path, typ.Kind())
		}
	}
	walk("Stats", reflect.TypeFor[Stats]())
}

// TestStatsFromTalliesEqualAdd: for cases received and answered around
// midnights, over a daylight-saving change and at the zero time, Stats
// summed from their tallies (as a store's aggregates keep them) equal
// Stats from the cases, for every period of whole days, open or not.
func TestStatsFromTalliesEqualAdd(t *testing.T) {
	loc := workday.Stockholm()
	mid := time.Date(2026, 3, 29, 0, 0, 0, 0, loc) // clocks forward at 02:00
	var cs []*Case
	for i, at := range []time.Time{
		mid.Add(-time.Nanosecond), mid, mid.Add(2*time.Hour + 30*time.Minute), mid.AddDate(0, 0, 1).Add(-time.Nanosecond),
		time.Date(2026, 10, 25, 2, 30, 0, 0, loc), {}, time.Date(2027, 1, 3, 23, 59, 0, 0, loc),
	} {
		c := &Case{Unit: "u", Type: casetype.All[i%len(casetype.All)], Status: Received, ReceivedAt: at, SentAt: at,
			Group: []string{"", "lakare", "psykologer"}[i%3]}
		if i%2 == 0 {
			c.Status, c.AnsweredAt = Answered, at.Add(time.Duration(i)*time.Hour)
		}
		cs = append(cs, c)
	}
	cs = append(cs, &Case{Unit: "other", Type: casetype.All[0], Status: Received, ReceivedAt: mid})
	now := mid.AddDate(0, 0, 5)
	day := func(n int) time.Time { return mid.AddDate(0, 0, n) }
	for _, p := range [][2]time.Time{{}, {day(0), {}}, {{}, day(1)}, {day(-1), day(1)}, {day(0), day(1)}, {day(1), day(400)}} {
		var own []*Case
		for _, c := range cs {
			if c.Unit == "u" {
				own = append(own, c)
			}
		}
		want := ComputeStats(own, p[0], p[1], now)
		b := NewStatsBuilder(p[0], p[1], now)
		if _, _, _, _, ok := b.Days(); !ok {
			t.Fatalf("period %v: not whole days", p)
		}
		for _, c := range cs {
			tl := TallyOf(c, "u")
			if !tl.Counted {
				continue
			}
			b.AddReceived(tl.Received, tl.Type, tl.Status, tl.Group, 1)
			if tl.Status.Open() {
				b.AddOpen(tl.Received, tl.Due, tl.Group, 1)
			}
			if tl.Answered {
				b.AddAnswers(tl.AnsweredDay, tl.Type, tl.Group, HandlingHist{Buckets: []BucketCount{{HandlingBucketOf(tl.Handling), 1}}, Sum: HandlingSum{}.Add(tl.Handling)})
			}
		}
		if got := b.Result(); !reflect.DeepEqual(got, want) {
			t.Errorf("period %v: from tallies\n%+v\nfrom cases\n%+v", p, got, want)
		}
	}
	if _, _, _, _, ok := NewStatsBuilder(day(0).Add(time.Hour), time.Time{}, now).Days(); ok {
		t.Error("a period starting at 01:00 taken as whole days")
	}
}

// TestHandlingPercentilesBucketed: over random times from seconds to
// months, Count and Mean are exact and Median and P90 are the exact
// nearest-rank percentiles rounded down as statshist.go says: never
// above, below by less than a minute up to 255 minutes and by less than
// 1/128 of the figure above.
func TestHandlingPercentilesBucketed(t *testing.T) {
	rnd := rand.New(rand.NewPCG(18, 1))
	for range 2000 {
		var all []time.Duration
		var a handlingAcc
		var sum time.Duration
		for range 1 + rnd.IntN(300) {
			d := time.Duration(rnd.ExpFloat64() * float64([]time.Duration{time.Minute, time.Hour, 20 * time.Hour, 30 * 24 * time.Hour}[rnd.IntN(4)]))
			all = append(all, d)
			a.add(d)
			sum += d
		}
		slices.Sort(all)
		n := len(all)
		got := a.result()
		if got.Count != n || got.Mean != sum/time.Duration(n) {
			t.Fatalf("%d times: count %d, mean %v; want %d, %v", n, got.Count, got.Mean, n, sum/time.Duration(n))
		}
		for _, c := range []struct {
			p   int
			got time.Duration
		}{{50, got.Median}, {90, got.P90}} {
			exact := all[max((c.p*n+99)/100, 1)-1]
			bound := max(time.Minute, c.got/128)
			if c.got > exact || exact-c.got >= bound || c.got != HandlingBucketOf(exact).Floor() {
				t.Fatalf("P%d of %d times: %v, exact %v (bound %v)", c.p, n, c.got, exact, bound)
			}
		}
	}
}

// TestHandlingBuckets: every bucket's floor is in it, the next bucket
// starts where it ends, and the buckets are as wide as statshist.go says.
func TestHandlingBuckets(t *testing.T) {
	prev := time.Duration(-1)
	last := HandlingBucketOf(1<<63 - 1)
	for b := HandlingBucket(0); b <= last; b++ {
		f := b.Floor()
		if HandlingBucketOf(f) != b || f <= prev || HandlingBucketOf(f-1) != b-1 && b > 0 {
			t.Fatalf("bucket %d: floor %v (previous %v), bucket of the floor %d", b, f, prev, HandlingBucketOf(f))
		}
		if w := f - prev; b > 1 && b >= handlingExact && w > max(time.Minute, prev/128)+time.Minute {
			t.Fatalf("bucket %d: width %v after %v", b-1, w, prev)
		}
		prev = f
	}
	if last > 3000 {
		t.Fatalf("the longest duration's bucket %d", last)
	}
	if b := HandlingBucketOf(-time.Hour); b != 0 {
		t.Fatalf("a negative time's bucket %d", b)
	}
}

func TestStatsWeekOf(t *testing.T) {
	for d := StatsDay(-800); d < 800; d++ {
		m := StatsWeekOf(d)
		if wd := m.Start().Weekday(); wd != time.Monday || d-m < 0 || d-m > 6 {
			t.Fatalf("day %d (%v): Monday %d (%v)", d, d.Start(), m, wd)
		}
	}
}
