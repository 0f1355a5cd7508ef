package booking

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkFreeTimes: the free-times query over a diary of 20 clinicians
// with 16 half-hour times each working day, eight weeks ahead (about
// 12,000 times, a tenth of them booked), on a real bbolt store. p99 is
// reported from per-query timings (a figure for the report: no test
// asserts a time). The goal later is ≤ 50 ms p99 at the central store.
//
//	go test -run '^$' -bench FreeTimes -benchtime 200x ./agent/booking/
func BenchmarkFreeTimes(b *testing.B) {
	now := stockholm(2026, 5, 4, 7, 0)
	f := newFixture(b, now)
	f.must(f.d.PutType(ctx, visit))
	clins := make([]string, 20)
	for i := range clins {
		clins[i] = fmt.Sprintf("SE2321000016-%04d", 3000+i)
		weekdays(f, clins[i], visit.ID, "08:00", 16)
	}
	rep, err := f.d.Generate(ctx, MinWeeks)
	f.must(err)
	all := snapshot(b, f)
	for i, s := range all {
		if i%10 == 0 {
			_, err := f.d.Book(ctx, s.ID(), Actor{Staff: staff1}, BookRequest{Patient: syntheticPnr(i)})
			f.must(err)
		}
	}
	b.Logf("%d times made", rep.Made)
	for _, bc := range []struct {
		name string
		q    FreeQuery
	}{
		{"all-8weeks", FreeQuery{From: now, To: now.Add(8 * 7 * 24 * time.Hour)}},
		{"online-8weeks", FreeQuery{From: now, To: now.Add(8 * 7 * 24 * time.Hour), Online: true}},
		{"one-clinician-8weeks", FreeQuery{From: now, To: now.Add(8 * 7 * 24 * time.Hour), Clinician: clins[7]}},
		{"all-1day", FreeQuery{From: now.Add(24 * time.Hour), To: now.Add(48 * time.Hour)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var lat []time.Duration
			n := 0
			for b.Loop() {
				t0 := time.Now()
				ft, err := f.d.FreeTimes(ctx, bc.q)
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				n = len(ft)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(n), "times")
		})
	}
}

// BenchmarkGenerate: making eight weeks for 20 clinicians (first), and
// the idempotent run over an existing diary (again), in one transaction
// each, on a real bbolt store.
func BenchmarkGenerate(b *testing.B) {
	now := stockholm(2026, 5, 4, 7, 0)
	setup := func(b *testing.B) *fixture {
		f := newFixture(b, now)
		f.must(f.d.PutType(ctx, visit))
		for i := range 20 {
			weekdays(f, fmt.Sprintf("SE2321000016-%04d", 3000+i), visit.ID, "08:00", 16)
		}
		return f
	}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			f := setup(b)
			b.StartTimer()
			if _, err := f.d.Generate(ctx, MinWeeks); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("again", func(b *testing.B) {
		f := setup(b)
		_, err := f.d.Generate(ctx, MinWeeks)
		f.must(err)
		for b.Loop() {
			if _, err := f.d.Generate(ctx, MinWeeks); err != nil {
				b.Fatal(err)
			}
		}
	})
}
