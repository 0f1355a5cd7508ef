package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/workday"
)

// ensureStats counts the aggregates at Open when they are not complete
// and current: a store made before them, by another layout, or whose count
// was stopped (it goes on from its marker).
func (db *DB) ensureStats(ctx context.Context) error {
	var built, started bool
	db.view(func(btx *bolt.Tx) error {
		built = statsBuilt(btx)
		started = btx.Bucket([]byte(bucketMeta)).Get(keyStatsRebuild) != nil && btx.Bucket([]byte(bucketStats)) != nil
		return nil
	})
	if built {
		return nil
	}
	if !started {
		if err := db.startStats(); err != nil {
			return err
		}
	}
	return db.countStats(ctx, nil)
}

// RebuildStats discards the statistics' aggregates and counts them again
// from every case, statsBatch cases per transaction, calling progress
// (if not nil) after each with the cases counted and the total. Stopped,
// or cut short by a crash, the count goes on from where it got at the
// next Open. Meant for the command line with the service stopped; writes
// meanwhile stay correct all the same (a case after the count's marker is
// left to the count).
func (db *DB) RebuildStats(ctx context.Context, progress func(done, total int)) error {
	if err := db.startStats(); err != nil {
		return err
	}
	return db.countStats(ctx, progress)
}

// startStats empties the aggregates and sets the count's marker at the
// start, in one transaction.
func (db *DB) startStats() error {
	err := db.update(func(btx *bolt.Tx) error {
		if btx.Bucket([]byte(bucketStats)) != nil {
			if err := btx.DeleteBucket([]byte(bucketStats)); err != nil {
				return err
			}
		}
		if _, err := btx.CreateBucket([]byte(bucketStats)); err != nil {
			return err
		}
		meta := btx.Bucket([]byte(bucketMeta))
		if err := meta.Delete(keyStatsVersion); err != nil {
			return err
		}
		return meta.Put(keyStatsRebuild, []byte{'c'})
	})
	if err != nil {
		return fmt.Errorf("statistics: start counting: %w", err)
	}
	return nil
}

// countStats adds the cases after the count's marker to the aggregates,
// statsBatch per transaction, each moving the marker; the last one
// removes it and sets the version.
func (db *DB) countStats(ctx context.Context, progress func(done, total int)) error {
	total, done := 0, 0
	db.view(func(btx *bolt.Tx) error {
		total = btx.Bucket([]byte(bucketCaseIDs)).Stats().KeyN
		return nil
	})
	start := db.clock.Now()
	db.log.Info("store: counting the statistics' aggregates from the cases", "cases", total)
	logged := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var finished bool
		var n int
		err := db.update(func(btx *bolt.Tx) error {
			finished, n = false, 0
			t := db.newTx(btx)
			meta := btx.Bucket([]byte(bucketMeta))
			mark := meta.Get(keyStatsRebuild)
			if len(mark) == 0 {
				return fmt.Errorf("the count's marker is missing")
			}
			after := bytes.Clone(mark[1:])
			c := t.caseCursor()
			id, k, v := c.First()
			if len(after) > 0 {
				if id, k, v = c.Seek(after); id != nil && bytes.Equal(id, after) {
					id, k, v = c.Next()
				}
			}
			sums := newStatsSums()
			var last []byte
			for ; id != nil && n < statsBatch; id, k, v = c.Next() {
				if v == nil {
					return missingRecord(id, k)
				}
				cs, err := t.decodeCase(id, k, v)
				if err != nil {
					return err
				}
				sums.add(cases.TallyOf(cs, db.unit), +1)
				last = id
				n++
			}
			t.stats = sums
			if err := t.flushStats(); err != nil {
				return err
			}
			if id != nil {
				return meta.Put(keyStatsRebuild, append([]byte{'c'}, last...))
			}
			finished = true
			if err := meta.Delete(keyStatsRebuild); err != nil {
				return err
			}
			return meta.Put(keyStatsVersion, binary.BigEndian.AppendUint32(nil, statsVersion))
		})
		if err != nil {
			return fmt.Errorf("statistics: count the cases: %w", err)
		}
		done += n
		if progress != nil {
			progress(done, total)
		}
		if done-logged >= 100000 && !finished {
			db.log.Info("store: counting the statistics' aggregates", "done", done, "cases", total)
			logged = done
		}
		if finished {
			db.log.Info("store: statistics' aggregates counted", "cases", done, "ms", db.clock.Now().Sub(start).Milliseconds())
			return nil
		}
	}
}

// RecountStats counts the aggregates afresh from every case, in one
// snapshot, and compares them with those the store keeps: what differs,
// one line each (none: they are equal). Aggregates not yet complete are
// one line too.
func (db *DB) RecountStats(ctx context.Context) ([]string, error) {
	var diffs []string
	err := db.view(func(btx *bolt.Tx) error {
		if !statsBuilt(btx) {
			diffs = append(diffs, "the aggregates are not complete (a count is under way or was stopped): the next start of the service, or clinicgw stats --rebuild, counts them")
			return nil
		}
		t := db.newTx(btx)
		want := newStatsSums()
		err := t.Cases(func(c *cases.Case) bool {
			want.add(cases.TallyOf(c, db.unit), +1)
			return ctx.Err() == nil
		})
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			return err
		}
		have, err := t.loadStats()
		if err != nil {
			return err
		}
		diffs = diffStats(have, want)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("statistics: recount: %w", err)
	}
	return diffs, nil
}

// loadStats reads all the aggregates.
func (t *tx) loadStats() (*statsSums, error) {
	s := newStatsSums()
	err := t.bucket(bucketStats).ForEach(func(k, v []byte) error {
		if err := checkStatsKey(k); err != nil {
			return err
		}
		switch k[0] {
		case statsRecv, statsRecvWeek:
			counts, err := t.recvCounts(k, v)
			if err != nil {
				return err
			}
			maps.Copy(s.recv, counts)
		case statsAns, statsWeek:
			h, err := t.statsHist(k, v)
			if err != nil {
				return err
			}
			m := &histSum{n: map[cases.HandlingBucket]int{}, sum: h.Sum}
			for _, bc := range h.Buckets {
				m.n[bc.Bucket] = bc.N
			}
			ak, _ := parseAnsKey(k) // checked by checkStatsKey
			s.ans[ak] = m
		case statsOpen:
			n, err := t.statsCount(k, v)
			if err != nil {
				return err
			}
			s.open[parseOpenKey(k)] = n
		case statsInbox:
			n, err := t.statsCount(k, v)
			if err != nil {
				return err
			}
			ik, _ := parseInboxKey(k) // checked by checkStatsKey
			s.addInbox(cases.StatsTally{Inbox: ik.bucket(), InInbox: true}, n)
		}
		return nil
	})
	return s, err
}

// diffStats says where have differs from want, sorted; zero counts are
// the same as none.
func diffStats(have, want *statsSums) []string {
	var out []string
	day := func(d cases.StatsDay) string { return d.Start().Format(time.DateOnly) }
	for _, k := range keysOf(have.recv, want.recv) {
		if h, w := have.recv[k], want.recv[k]; h != w {
			what := "received"
			if k.kind == statsRecvWeek {
				what = "received in the week of"
			}
			out = append(out, fmt.Sprintf("%s %s, type %s, status %s, group %q: kept %d, recount %d", what, day(k.day), k.typ, k.st, k.group, h, w))
		}
	}
	for _, k := range keysOf(have.open, want.open) {
		if h, w := have.open[k], want.open[k]; h != w {
			out = append(out, fmt.Sprintf("open, received %s, due %s, group %q: kept %d, recount %d", day(k.day), k.due().In(workday.Stockholm()).Format(time.RFC3339Nano), k.group, h, w))
		}
	}
	for _, k := range keysOf(have.inbox, want.inbox) {
		if h, w := have.inbox[k], want.inbox[k]; h != w {
			out = append(out, fmt.Sprintf("inbox, %+v: kept %d, recount %d", k.bucket(), h, w))
		}
	}
	for _, k := range keysOf(have.ans, want.ans) {
		h, w := have.ans[k], want.ans[k]
		if h == nil {
			h = &histSum{}
		}
		if w == nil {
			w = &histSum{}
		}
		var hn, wn int
		same := h.sum == w.sum
		for _, b := range keysOf(h.n, w.n) {
			hn, wn = hn+h.n[b], wn+w.n[b]
			same = same && h.n[b] == w.n[b]
		}
		if !same {
			what := "answered"
			if k.kind == statsWeek {
				what = "answered in the week of"
			}
			out = append(out, fmt.Sprintf("%s %s, type %s, group %q: kept %d handling times, recount %d, and their histograms or sums differ", what, day(k.day), k.typ, k.group, hn, wn))
		}
	}
	slices.Sort(out)
	return out
}

// keysOf returns the keys of the maps, each once, in a stable order.
func keysOf[K comparable, V any](ms ...map[K]V) []K {
	seen := map[K]bool{}
	var out []K
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	slices.SortFunc(out, func(x, y K) int { return cmpString(fmt.Sprint(x), fmt.Sprint(y)) })
	return out
}
