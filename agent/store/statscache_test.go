package store

import (
	"fmt"
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
	all := unitCases(t, db)
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

// statsHists returns the sealed values of the handling times'
// histograms whose kind and day keep takes, by key, and what they hold.
func statsHists(t *testing.T, db *DB, keep func(kind byte, day cases.StatsDay) bool) (sealed map[string]string, plain map[string]cases.HandlingHist) {
	t.Helper()
	sealed, plain = map[string]string{}, map[string]cases.HandlingHist{}
	err := db.view(func(btx *bolt.Tx) error {
		t := db.newTx(btx)
		return btx.Bucket([]byte(bucketStats)).ForEach(func(k, v []byte) error {
			if (k[0] != statsAns && k[0] != statsWeek) || !keep(k[0], parseDay(k[1:5])) {
				return nil
			}
			h, err := t.statsHist(k, v)
			sealed[string(k)], plain[string(k)] = string(v), h
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return sealed, plain
}

// currentWeekHists is how many histograms the period at now holds of its
// current week (the days from its Monday), and their buckets.
func currentWeekHists(t *testing.T, db *DB, now time.Time) (hists, buckets uint64) {
	t.Helper()
	monday := cases.StatsWeekOf(cases.StatsDayOf(now))
	_, to := statsPagePeriod(now)
	end := cases.StatsDayOf(to)
	_, plain := statsHists(t, db, func(kind byte, day cases.StatsDay) bool {
		return day >= monday && day < end && (kind != statsWeek || day+7 <= end)
	})
	for _, h := range plain {
		hists, buckets = hists+1, buckets+uint64(len(h.Buckets))
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

// pastHists returns the sealed values of the handling times' histograms
// of the days and weeks before now's week, by key, and what they hold.
func pastHists(t *testing.T, db *DB, now time.Time) (sealed map[string]string, plain map[string]cases.HandlingHist) {
	t.Helper()
	monday := cases.StatsWeekOf(cases.StatsDayOf(now))
	return statsHists(t, db, func(_ byte, day cases.StatsDay) bool { return day < monday })
}

// TestStatsPastWeekWriters finds out which writes move the histograms of
// past weeks, which a view takes from its cache while their sealed values
// are unchanged: a handling time is filed under the day of the first
// answer, so a new answer, or a reopening that keeps the case where it
// was, moves the current week only; a case answered in a past week
// changed in type or queue, given its time of answer late (the sync), or
// purged moves that week; a rebuild of the aggregates, and a new data key
// with every value sealed again, seal the past again (other bytes, the
// same counts). After each, a view through the cache equals a count of
// every case (statsView).
func TestStatsPastWeekWriters(t *testing.T) {
	db, _ := testStore(t)
	cs := answeredCases(t, db, rand.New(rand.NewPCG(18, 9)), 0, 400)
	now := statsCacheNow
	monday := cases.StatsWeekOf(cases.StatsDayOf(now))
	var past []cases.ID // answered before this week
	for _, c := range cs {
		if cases.StatsDayOf(c.AnsweredAt) < monday {
			past = append(past, c.ID)
		}
	}
	change := func(id cases.ID, fn func(*cases.Case)) func() error {
		return func() error {
			return db.Update(ctx, func(tx cases.Tx) error {
				c, err := tx.Case(id)
				if err != nil {
					return err
				}
				c.Version++
				fn(c)
				return tx.Update(c)
			})
		}
	}
	type moves int
	const (
		none   moves = iota // the past's sealed values are unchanged
		sealed              // other bytes, the same counts
		counts              // other counts
	)
	for i, tt := range []struct {
		name  string
		write func() error
		want  moves
	}{
		{"a case answered today", func() error {
			return db.Update(ctx, func(tx cases.Tx) error {
				c := newCase(9000, "Hej")
				c.ReceivedAt, c.SentAt, c.AnsweredAt, c.Status = now.Add(-3*time.Hour), now.Add(-3*time.Hour), now, cases.Answered
				return tx.Insert(c)
			})
		}, none},
		{"reopened by the patient's reply, in its queue", change(past[0], func(c *cases.Case) { c.Status, c.DueAt = cases.Received, cases.DueDate(now) }), none},
		{"reopened and routed to another queue", change(past[1], func(c *cases.Case) { c.Status, c.Group = cases.Received, "bup" }), counts},
		{"another type", change(past[2], func(c *cases.Case) { c.Type = casetype.All[(slices.Index(casetype.All, c.Type)+1)%len(casetype.All)] }), counts},
		{"its time of answer given late by the sync", change(past[3], func(c *cases.Case) { c.AnsweredAt = c.AnsweredAt.Add(-time.Hour) }), counts},
		{"an answer taken back", change(past[4], func(c *cases.Case) { c.AnsweredAt, c.Status = time.Time{}, cases.Assigned }), counts},
		{"purged by the archive", func() error {
			_, err := db.PurgeCases(ctx, past[5:7], func(*cases.Case) error { return nil })
			return err
		}, counts},
		{"the aggregates rebuilt", func() error { return db.RebuildStats(ctx, nil) }, sealed},
		{"a new data key, every value sealed again", func() error {
			if _, err := db.RotateKey(ctx); err != nil {
				return err
			}
			_, err := db.Reseal(ctx, 0, nil)
			return err
		}, sealed},
	} {
		statsView(t, db, now) // the cache holds the past as it is
		s0, p0 := pastHists(t, db, now)
		if err := tt.write(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		s1, p1 := pastHists(t, db, now)
		got := none
		switch {
		case !reflect.DeepEqual(p0, p1):
			got = counts
		case !reflect.DeepEqual(s0, s1):
			got = sealed
		}
		if got != tt.want {
			t.Errorf("%d %s: the past weeks' histograms moved %d (0 none, 1 sealed again, 2 other counts), want %d", i, tt.name, got, tt.want)
		}
		hists, _ := statsView(t, db, now) // equal to a count of every case
		if wantH, _ := currentWeekHists(t, db, now); (hists == wantH) != (got == none) {
			t.Errorf("%s: the view decoded %d histograms, the current week holds %d: the cache was not used exactly when the past was unchanged", tt.name, hists, wantH)
		}
	}
}

// TestStatsViewsAtOnce: views at once share the cache of past weeks —
// one fills it while others read it — and each shows a full count's
// Stats (run with -race).
func TestStatsViewsAtOnce(t *testing.T) {
	db, _ := testStore(t)
	answeredCases(t, db, rand.New(rand.NewPCG(18, 3)), 0, 500)
	from, to := statsPagePeriod(statsCacheNow)
	want := cases.ComputeStats(unitCases(t, db), from, to, statsCacheNow)
	errs := make(chan error, 8)
	for range cap(errs) {
		go func() {
			for range 5 {
				b := cases.NewStatsBuilder(from, to, statsCacheNow)
				if ok, err := db.AddStats(ctx, testUnit, b); err != nil || !ok {
					errs <- fmt.Errorf("AddStats: %v, %v", ok, err)
					return
				}
				if got := b.Result(); !reflect.DeepEqual(got, want) {
					errs <- fmt.Errorf("a view at once with others gave\n%+v\nwant\n%+v", got, want)
					return
				}
			}
			errs <- nil
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
