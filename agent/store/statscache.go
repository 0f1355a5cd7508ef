package store

import (
	"bytes"
	"sync"
	"sync/atomic"
	"time"

	"clinicgw/agent/cases"
)

// The handling times of past weeks, kept in memory. A statistics view
// (AddStats) decodes the histograms of the current week's days, and of
// every day and week before that Monday only when they are not as it
// last read them: the view walks their keys as before and compares each
// key and its sealed value, byte for byte, with those the kept sums were
// counted from, and adds those sums (cases.StatsBuilder.AddAnswersOf)
// when all are the same. A view at 1M cases so decodes what the current
// week holds, not the 132 histograms (and some 70,000 buckets) of the
// page's twelve weeks of eleven types.
//
// The check is the sealed bytes themselves, not a list of the writers
// that may move a past week: a first answer is filed under its day, so
// the past moves only when a case answered then is changed or removed —
// a change of its type, group or unit, a time of answer given later by
// the sync, a purge by the archive, a rebuild of the aggregates (every
// value sealed again), a new key (every value sealed again) — and
// whichever did it, the value it wrote is other bytes (each seal has its
// own nonce; the same bytes are the same counts). So the sums shown are
// always those a view reading every histogram would show
// (TestStatsViewReadsCurrentWeek, TestStatsAggregatesEqualRecount).

// statsCacheEntries is how many periods the cache keeps the past of (the
// page's default, the CSV's, the command line's); a period beyond them
// empties it.
const statsCacheEntries = 8

// statsCache is the DB's cache of the past weeks' handling times, per
// period. The zero value is ready.
type statsCache struct {
	mu      sync.Mutex
	entries map[statsPeriod]*statsPast
	// histsRead and bucketsRead count the histograms the views decoded
	// and their buckets: what a view cost (tests).
	histsRead, bucketsRead atomic.Uint64
}

// statsPeriod is a period as cases.StatsBuilder.Days gives it.
type statsPeriod struct {
	first, end cases.StatsDay
	fromB, toB bool
}

// times returns the period's ends (zero: open).
func (p statsPeriod) times() (from, to time.Time) {
	if p.fromB {
		from = p.first.Start()
	}
	if p.toB {
		to = p.end.Start()
	}
	return from, to
}

// statsPast is the answers of a period's past histograms (a builder only
// AddAnswers was called on, never changed after) and the keys and sealed
// values they were counted from, in the order a view walks them.
type statsPast struct {
	kv   [][]byte // key, value, key, value, …
	sums *cases.StatsBuilder
}

// get returns the sums of p's past when kv (keys and sealed values, in
// walk order) is what they were counted from; nil when not.
func (c *statsCache) get(p statsPeriod, kv [][]byte) *cases.StatsBuilder {
	c.mu.Lock()
	e := c.entries[p]
	c.mu.Unlock()
	if e == nil || len(e.kv) != len(kv) {
		return nil
	}
	for i := range kv {
		if !bytes.Equal(e.kv[i], kv[i]) {
			return nil
		}
	}
	return e.sums
}

// put keeps sums as p's past, counted from kv (copied: a transaction's
// values are valid only in it).
func (c *statsCache) put(p statsPeriod, kv [][]byte, sums *cases.StatsBuilder) {
	n := 0
	for _, b := range kv {
		n += len(b)
	}
	arena := make([]byte, 0, n)
	kept := make([][]byte, len(kv))
	for i, b := range kv {
		arena = append(arena, b...)
		kept[i] = arena[len(arena)-len(b) : len(arena) : len(arena)]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || (len(c.entries) >= statsCacheEntries && c.entries[p] == nil) {
		c.entries = map[statsPeriod]*statsPast{}
	}
	c.entries[p] = &statsPast{kv: kept, sums: sums}
}

// addPastAnswers adds to b the answers of the past histograms whose keys
// and sealed values are kv (in walk order), from the cache when they are
// what it counted, else decoded by decode and kept.
func (db *DB) addPastAnswers(b *cases.StatsBuilder, p statsPeriod, kv [][]byte, decode func(k, v []byte, to *cases.StatsBuilder) error) error {
	if len(kv) == 0 {
		return nil
	}
	sums := db.statsCache.get(p, kv)
	if sums == nil {
		from, to := p.times()
		sums = cases.NewStatsBuilder(from, to, b.Now())
		for i := 0; i < len(kv); i += 2 {
			if err := decode(kv[i], kv[i+1], sums); err != nil {
				return err
			}
		}
		db.statsCache.put(p, kv, sums)
	}
	b.AddAnswersOf(sums)
	return nil
}
