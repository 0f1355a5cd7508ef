package store

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/workday"
)

// statsCacheNow is a Wednesday: the current week's Monday and Tuesday are
// in the statistics page's period, the eleven weeks and six days before
// them are past.
var statsCacheNow = time.Date(2026, 11, 25, 10, 0, 0, 0, workday.Stockholm())

// statsPagePeriod is the statistics page's default period at now: the
// last twelve weeks, to the end of today.
func statsPagePeriod(now time.Time) (from, to time.Time) {
	y, m, d := now.In(workday.Stockholm()).Date()
	to = time.Date(y, m, d+1, 0, 0, 0, 0, workday.Stockholm())
	return to.AddDate(0, 0, -84), to
}

// answeredCases writes n cases of every type, in two groups, received over
// the 14 weeks before now and answered after 0 to 72 hours (many distinct
// handling times), none after now.
func answeredCases(t *testing.T, db *DB, rnd *rand.Rand, first, n int) []*cases.Case {
	t.Helper()
	var out []*cases.Case
	err := db.Update(ctx, func(tx cases.Tx) error {
		out = nil
		for i := first; i < first+n; i++ {
			c := newCase(i, "Hej")
			c.Type = casetype.All[i%len(casetype.All)]
			c.Group = []string{"", "lakare"}[i%2]
			c.ReceivedAt = statsCacheNow.Add(-time.Duration(rnd.IntN(14*7*24*60)) * time.Minute)
			c.SentAt, c.DueAt = c.ReceivedAt, cases.DueDate(c.ReceivedAt)
			c.Status = cases.Answered
			c.AnsweredAt = c.ReceivedAt.Add(time.Duration(rnd.IntN(72*60)) * time.Minute)
			if c.AnsweredAt.After(statsCacheNow) {
				c.AnsweredAt = statsCacheNow
			}
			if err := tx.Insert(c); err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// statsView is the statistics page's view at now: its Stats from the
// aggregates, checked against Stats counted from every case, and the
// histograms and buckets it decoded.
func statsView(t *testing.T, db *DB, now time.Time) (hists, buckets uint64) {
	t.Helper()
	from, to := statsPagePeriod(now)
	var all []*cases.Case
	err := db.View(ctx, func(tx cases.ReadTx) error {
		return tx.Cases(func(c *cases.Case) bool { all = append(all, c); return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	h0, b0 := db.statsCache.histsRead.Load(), db.statsCache.bucketsRead.Load()
	b := cases.NewStatsBuilder(from, to, now)
	if ok, err := db.AddStats(ctx, testUnit, b); err != nil || !ok {
		t.Fatalf("AddStats: %v, %v", ok, err)
	}
	hists, buckets = db.statsCache.histsRead.Load()-h0, db.statsCache.bucketsRead.Load()-b0
	if got, want := b.Result(), cases.ComputeStats(all, from, to, now); !reflect.DeepEqual(got, want) {
		t.Fatalf("at %v: from the aggregates\n%+v\nfrom every case\n%+v", now, got, want)
	}
	return hists, buckets
}

// currentWeekHists is how many histograms the period at now holds of its
// current week (the days from its Monday), and their buckets.
func currentWeekHists(t *testing.T, db *DB, now time.Time) (hists, buckets uint64) {
	t.Helper()
	monday := cases.StatsWeekOf(cases.StatsDayOf(now))
	_, to := statsPagePeriod(now)
	end := cases.StatsDayOf(to)
	err := db.view(func(btx *bolt.Tx) error {
		t := db.newTx(btx)
		return btx.Bucket([]byte(bucketStats)).ForEach(func(k, v []byte) error {
			if k[0] != statsAns && k[0] != statsWeek {
				return nil
			}
			if day := parseDay(k[1:5]); day < monday || day >= end || (k[0] == statsWeek && day+7 > end) {
				return nil
			}
			h, err := t.statsHist(k, v)
			hists, buckets = hists+1, buckets+uint64(len(h.Buckets))
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return hists, buckets
}

// TestStatsViewReadsCurrentWeek: a statistics view decodes the handling
// times' histograms of the current week only, however many past weeks
// its period holds; those of past weeks it reads again only after one of
// them moved (an answer's case changed its type, its group or its time of
// answer, or was purged), and its Stats equal a count of every case after
// each.
func TestStatsViewReadsCurrentWeek(t *testing.T) {
	db, _ := testStore(t)
	rnd := rand.New(rand.NewPCG(18, 7))
	cs := answeredCases(t, db, rnd, 0, 3000)
	hists, buckets := statsView(t, db, statsCacheNow) // the first reads them all
	t.Logf("the first view decoded %d histograms, %d buckets", hists, buckets)
	wantH, wantB := currentWeekHists(t, db, statsCacheNow)
	if hists, buckets := statsView(t, db, statsCacheNow); hists != wantH || buckets != wantB {
		t.Fatalf("the second view decoded %d histograms (%d buckets); want the current week's %d (%d buckets)", hists, buckets, wantH, wantB)
	}
	// The current week moves: still only its histograms are decoded.
	answeredCases(t, db, rand.New(rand.NewPCG(1, 1)), 5000, 1) // at most 14 weeks back: may be past
	now := statsCacheNow.Add(time.Hour)
	var past *cases.Case
	for _, c := range cs {
		if cases.StatsDayOf(c.AnsweredAt) < cases.StatsWeekOf(cases.StatsDayOf(now))-14 {
			past = c
			break
		}
	}
	statsView(t, db, now)
	wantH, wantB = currentWeekHists(t, db, now)
	if hists, buckets := statsView(t, db, now); hists != wantH || buckets != wantB {
		t.Fatalf("after a view, the next decoded %d histograms (%d buckets); want the current week's %d (%d buckets)", hists, buckets, wantH, wantB)
	}
	// A past week moves (a case answered two weeks or more before this
	// one is of another type): the next view reads the past weeks again, and is exact.
	err := db.Update(ctx, func(tx cases.Tx) error {
		c, err := tx.Case(past.ID)
		if err != nil {
			return err
		}
		c.Version++
		c.Type = casetype.All[(slices.Index(casetype.All, c.Type)+1)%len(casetype.All)]
		return tx.Update(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	if hists, _ := statsView(t, db, now); hists <= wantH {
		t.Fatalf("after a past week moved, the view decoded %d histograms, the current week's %d: it showed the past weeks as they were", hists, wantH)
	}
	if hists, _ := statsView(t, db, now); hists != wantH {
		t.Fatalf("the view after that decoded %d histograms; want the current week's %d", hists, wantH)
	}
}
