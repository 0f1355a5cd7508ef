package store

import (
	crand "crypto/rand"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// BenchmarkStats measures the statistics page's work (Service.Stats) on
// stores of realistic cases — 2 KiB of Swedish text, 5 to 10 form fields,
// patients drawn from some 500,000 synthetic personnummer, a year of
// arrivals with a week's backlog open — at each size in
// CLINICGW_STATS_CASES (default "10000,100000"), before and after the
// aggregates, in one run. scan-p50-ms is what Stats did before (and still
// does for a period that is not whole days): open and decode every case.
// p50-ms and p99-ms are Stats from the aggregates for the page's default
// period, the last twelve weeks; all-p50-ms the same over every case (no
// period), which reads every handling time kept; scan/agg how many times
// faster the page got.
//
//	go test -run '^$' -bench '^BenchmarkStats$' -benchtime 200x ./agent/store/
func BenchmarkStats(b *testing.B) {
	sizes := []int{10000, 100000}
	if v := os.Getenv("CLINICGW_STATS_CASES"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				b.Fatalf("CLINICGW_STATS_CASES=%q: want sizes like 10000,100000", v)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("%dcases", n), func(b *testing.B) {
			db, now := statsBenchStore(b, n)
			svc, err := cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: db, Clock: clocktest.New(now),
				Rand: crand.Reader, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			admin := cases.Actor{Kind: cases.Staff, HSAID: testUnit, Roles: []cases.Role{cases.UnitAdmin}}
			y, m, d := now.In(workday.Stockholm()).Date()
			to := time.Date(y, m, d+1, 0, 0, 0, 0, workday.Stockholm())
			from := to.AddDate(0, 0, -84)

			// Before: every case opened, as Stats did (and does for a
			// period that is not whole days).
			scan := func() cases.Stats {
				sb := cases.NewStatsBuilder(from, to, now)
				err := db.View(ctx, func(tx cases.ReadTx) error {
					return tx.Cases(func(c *cases.Case) bool {
						if c.Unit == testUnit {
							sb.Add(c)
						}
						return true
					})
				})
				if err != nil {
					b.Fatal(err)
				}
				return sb.Result()
			}
			var scans []time.Duration
			var want cases.Stats
			for range 3 {
				start := time.Now()
				want = scan()
				scans = append(scans, time.Since(start))
			}

			var all []time.Duration
			for range 3 {
				start := time.Now()
				if _, err := svc.Stats(ctx, admin, time.Time{}, time.Time{}); err != nil {
					b.Fatal(err)
				}
				all = append(all, time.Since(start))
			}

			runtime.GC() // the scan's garbage is not the view's to collect
			b.ResetTimer()
			lat := make([]time.Duration, 0, b.N)
			var got cases.Stats
			for range b.N {
				start := time.Now()
				if got, err = svc.Stats(ctx, admin, from, to); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			if got.Received != want.Received || got.Answered != want.Answered || got.Overdue != want.Overdue || got.Handling != want.Handling {
				b.Fatalf("stats from the aggregates %+v, from every case %+v", got, want)
			}
			p50 := pct(lat, 50)
			b.ReportMetric(ms(p50), "p50-ms")
			b.ReportMetric(ms(pct(lat, 99)), "p99-ms")
			b.ReportMetric(ms(pct(all, 50)), "all-p50-ms")
			b.ReportMetric(ms(pct(scans, 50)), "scan-p50-ms")
			b.ReportMetric(float64(pct(scans, 50))/float64(max(p50, 1)), "scan/agg")
			b.ReportMetric(0, "ns/op")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// pct is the nearest-rank p-th percentile of ds.
func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	return s[max((p*len(s)+99)/100, 1)-1]
}

// statsBenchStore makes a store of n realistic cases received over the
// year before the time it returns.
func statsBenchStore(b *testing.B, n int) (*DB, time.Time) {
	b.Helper()
	dir := b.TempDir()
	if err := GenerateKeyFile(filepath.Join(dir, "kek.key"), nil, false); err != nil {
		b.Fatal(err)
	}
	kek, _ := LoadKeyFile(filepath.Join(dir, "kek.key"))
	db, err := Open(ctx, filepath.Join(dir, "store.db"), kek, Options{Unit: testUnit})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	now := time.Date(2026, 11, 30, 14, 0, 0, 0, workday.Stockholm())
	start := now.AddDate(-1, 0, 0)
	step := now.Sub(start) / time.Duration(n)
	rnd := rand.New(rand.NewPCG(uint64(n), 18))
	text := strings.Repeat("Hej! Jag har haft ont i halsen och feber i tre dagar och undrar om jag behöver komma in. Går det bra på förmiddagen? Tack på förhand, hälsningar. ", 15)[:2048]
	for i := 0; i < n; i += 1000 {
		err := db.Update(ctx, func(tx cases.Tx) error {
			for j := i; j < min(i+1000, n); j++ {
				at := start.Add(time.Duration(j) * step)
				c := newCase(j, text)
				id, err := caseid.New(at, crand.Reader)
				if err != nil {
					return err
				}
				c.ID = id
				c.Type = casetype.All[rnd.IntN(len(casetype.All))]
				c.Patient.PNR = personnummer.Synthetic(time.Date(1940+rnd.IntN(80), time.Month(1+rnd.IntN(12)), 1+rnd.IntN(28), 0, 0, 0, 0, time.UTC), 980+rnd.IntN(20))
				c.ReceivedAt, c.SentAt = at, at.Add(-time.Minute)
				c.DueAt = cases.DueDate(c.SentAt)
				c.Fields = nil
				for f := range 5 + rnd.IntN(6) {
					c.Fields = append(c.Fields, cases.Field{Name: fmt.Sprintf("f%d", f), Label: "Beskrivning av besvär", Value: "Ont i halsen, feber 38,5 °C, inga läkemedel"})
				}
				switch age := now.Sub(at); {
				case age < 7*24*time.Hour && rnd.IntN(3) > 0: // the week's backlog
					c.Status = []cases.Status{cases.Received, cases.Assigned, cases.WaitingForPatient}[rnd.IntN(3)]
				default:
					c.Status = []cases.Status{cases.Answered, cases.Closed, cases.Closed, cases.Withdrawn}[rnd.IntN(4)]
					if c.Status != cases.Withdrawn {
						c.AnsweredAt = at.Add(time.Duration(rnd.ExpFloat64() * float64(20*time.Hour)))
					}
				}
				if err := tx.Insert(c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return db, now
}
