package cases

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"clinicgw/sync/wire/casetype"
)

// BenchmarkAddAnswers is the statistics page's work per histogram of
// handling times it reads from the aggregates (StatsBuilder.AddAnswers):
// twelve weeks of one histogram per case type, each holding the answers
// of a week at a unit of answers/week, handling times drawn as
// BenchmarkLarge's store has them (exponential, mean 20 hours). At 1,000
// answers a week per type the histograms are nearly full (every bucket up
// to a few days); at 10 they are sparse.
func BenchmarkAddAnswers(b *testing.B) {
	for _, perWeek := range []int{10, 1000} {
		b.Run(fmt.Sprintf("answers=%d", perWeek), func(b *testing.B) {
			rnd := rand.New(rand.NewPCG(1, 2))
			now := time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)
			to := StatsDayOf(now) + 1
			type hist struct {
				day StatsDay
				typ casetype.Type
				h   HandlingHist
			}
			var hs []hist
			entries := 0
			for w := range 12 {
				for _, typ := range casetype.All {
					var acc handlingAcc
					for range perWeek {
						acc.add(time.Duration(rnd.ExpFloat64() * float64(20*time.Hour)))
					}
					h := HandlingHist{Sum: acc.sum}
					for bk, n := range acc.counts {
						if n > 0 {
							h.Buckets = append(h.Buckets, BucketCount{HandlingBucket(bk), n})
						}
					}
					entries += len(h.Buckets)
					hs = append(hs, hist{StatsWeekOf(to - StatsDay(7*(w+1))), typ, h})
				}
			}
			for b.Loop() {
				sb := NewStatsBuilder((to - 84).Start(), to.Start(), now)
				for _, h := range hs {
					sb.AddAnswers(h.day, h.typ, "", h.h)
				}
				sb.Result()
			}
			b.ReportMetric(float64(entries), "buckets")
		})
	}
}
