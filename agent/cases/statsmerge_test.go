package cases

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/workday"
)

// TestAddAnswersOfSameAsAddAnswers: the answers of a builder added to
// another (AddAnswersOf, which a store does with those of past weeks)
// give the Stats that adding each histogram to it gives, beside the
// received and open counts and the answers it already holds, and leave
// the added builder as it was.
func TestAddAnswersOfSameAsAddAnswers(t *testing.T) {
	rnd := rand.New(rand.NewPCG(18, 2))
	from := time.Date(2026, 9, 1, 0, 0, 0, 0, workday.Stockholm())
	to, now := from.AddDate(0, 0, 84), from.AddDate(0, 0, 80)
	first := StatsDayOf(from)
	type add struct {
		day   StatsDay
		typ   casetype.Type
		group string
		h     HandlingHist
	}
	random := func(n int) []add {
		var out []add
		for range n {
			var h HandlingHist
			for b := HandlingBucket(rnd.IntN(5)); b < 900; b += HandlingBucket(1 + rnd.IntN(80)) {
				h.Buckets = append(h.Buckets, BucketCount{b, 1 + rnd.IntN(4)})
				h.Sum = h.Sum.Add(b.Floor())
			}
			out = append(out, add{first + StatsDay(rnd.IntN(90)) - 3, casetype.All[rnd.IntN(3)], []string{"", "lakare", "bup"}[rnd.IntN(3)], h})
		}
		return out
	}
	for i := range 20 {
		past, fresh := random(1+rnd.IntN(30)), random(rnd.IntN(10))
		want, got := NewStatsBuilder(from, to, now), NewStatsBuilder(from, to, now)
		part := NewStatsBuilder(from, to, now)
		for _, b := range []*StatsBuilder{want, got} {
			b.AddReceived(first+2, casetype.All[0], Received, "lakare", 3)
			b.AddOpen(first+2, now.Add(-time.Hour), "lakare", 2)
			for _, a := range fresh {
				b.AddAnswers(a.day, a.typ, a.group, a.h)
			}
		}
		for _, a := range past {
			want.AddAnswers(a.day, a.typ, a.group, a.h)
			part.AddAnswers(a.day, a.typ, a.group, a.h)
		}
		before := part.Result()
		got.AddAnswersOf(part)
		got.AddAnswersOf(NewStatsBuilder(from, to, now)) // nothing
		if g, w := got.Result(), want.Result(); !reflect.DeepEqual(g, w) {
			t.Fatalf("%d: AddAnswersOf gives\n%+v\nAddAnswers of each\n%+v", i, g, w)
		}
		if after := part.Result(); !reflect.DeepEqual(after, before) {
			t.Fatalf("%d: AddAnswersOf changed the builder added", i)
		}
	}
}
