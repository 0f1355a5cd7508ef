package booking

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"clinicgw/agent/store"
)

// The diary's statistics: per month (of the time's start, Swedish time),
// time type and clinician, the bookings made (those later cancelled
// included), how many of them the patient made online, the
// cancellations, the no-shows and the arrivals. A time's part of them is
// a function of the time alone (countsOf: its booking and its cancelled
// bookings), and saveSlot and removeSlot add the change of that part to
// the aggregates in the transaction that writes or removes the time; so
// the aggregates change with the diary or not at all, and always equal a
// recount from the times (RecountStats, `clinicgw stats --recount`). A
// rebooking moves its booking to the new time: one booking, counted in
// the new time's month. A free time removed by Generate takes its
// cancelled bookings out of the statistics with it.
//
// The aggregates are kept from the first change after they were added; a
// diary written before is counted then, once, in that transaction
// (statsKey "v" marks it done).

const bStats = store.DiaryStats

// Counts are bookings counted.
type Counts struct {
	Bookings int `json:"b,omitempty"` // made, including those later cancelled
	Online   int `json:"o,omitempty"` // of them, made online by the patient
	Canceled int `json:"c,omitempty"`
	NoShow   int `json:"n,omitempty"`
	Arrived  int `json:"a,omitempty"`
}

func (c Counts) add(o Counts, sign int) Counts {
	return Counts{c.Bookings + sign*o.Bookings, c.Online + sign*o.Online, c.Canceled + sign*o.Canceled,
		c.NoShow + sign*o.NoShow, c.Arrived + sign*o.Arrived}
}

// Add is c plus o.
func (c Counts) Add(o Counts) Counts { return c.add(o, +1) }

// OnlineShare is the share of the bookings made online; 0 without any.
func (c Counts) OnlineShare() float64 {
	if c.Bookings == 0 {
		return 0
	}
	return float64(c.Online) / float64(c.Bookings)
}

// countsOf is the time's part of the statistics.
func countsOf(s *Slot) Counts {
	var c Counts
	count := func(b Booking) {
		c.Bookings++
		if b.Online {
			c.Online++
		}
	}
	for _, b := range s.Canceled {
		count(b)
		c.Canceled++
	}
	if s.Booking != nil {
		count(*s.Booking)
		switch s.State {
		case NoShow:
			c.NoShow++
		case Arrived:
			c.Arrived++
		}
	}
	return c
}

// StatsKey is what the statistics are counted by.
type StatsKey struct {
	Month     string // "2026-11", of the time's start in Swedish time
	TypeID    string
	Clinician string
}

func statsKeyOf(s *Slot) StatsKey {
	return StatsKey{Local(s.Start).Format("2006-01"), s.TypeID, s.Clinician}
}

func (k StatsKey) bytes() []byte { return []byte(k.Month + "\x00" + k.TypeID + "\x00" + k.Clinician) }

func parseStatsKey(b []byte) (StatsKey, bool) {
	p := strings.Split(string(b), "\x00")
	if len(p) != 3 {
		return StatsKey{}, false
	}
	return StatsKey{p[0], p[1], p[2]}, true
}

var statsDone = []byte("v")

// noteStats adds the change of a time from before (nil: new) to after
// (nil: removed) to the aggregates, counting the diary first if they were
// never counted.
func noteStats(tx Tx, before, after *Slot) error {
	v, err := tx.Get(bStats, statsDone)
	if err != nil {
		return err
	}
	if v == nil {
		sums, err := recount(tx)
		if err != nil {
			return err
		}
		for k, c := range sums {
			if err := putJSON(tx, bStats, k.bytes(), c); err != nil {
				return err
			}
		}
		if err := tx.Put(bStats, statsDone, []byte("1")); err != nil {
			return err
		}
	}
	if before != nil {
		if err := addStats(tx, statsKeyOf(before), countsOf(before), -1); err != nil {
			return err
		}
	}
	if after != nil {
		return addStats(tx, statsKeyOf(after), countsOf(after), +1)
	}
	return nil
}

func addStats(tx Tx, k StatsKey, c Counts, sign int) error {
	if c == (Counts{}) {
		return nil
	}
	key := k.bytes()
	var have Counts
	v, err := tx.Get(bStats, key)
	if err != nil {
		return err
	}
	if v != nil {
		if err := json.Unmarshal(v, &have); err != nil {
			return fmt.Errorf("diary statistics: %w", err)
		}
	}
	have = have.add(c, sign)
	if have == (Counts{}) {
		return tx.Delete(bStats, key)
	}
	return putJSON(tx, bStats, key, have)
}

// recount counts the statistics afresh from every time.
func recount(tx Tx) (map[StatsKey]Counts, error) {
	out := map[StatsKey]Counts{}
	err := tx.Scan(bTimes, nil, nil, func(_, v []byte) (bool, error) {
		var s Slot
		if err := json.Unmarshal(v, &s); err != nil {
			return false, fmt.Errorf("diary time: %w", err)
		}
		if c := countsOf(&s); c != (Counts{}) {
			k := statsKeyOf(&s)
			out[k] = out[k].Add(c)
		}
		return true, nil
	})
	return out, err
}

// loadStats reads the aggregates of the months [from, to] ("" no bound);
// ok false when they were never counted.
func loadStats(tx Tx, from, to string) (map[StatsKey]Counts, bool, error) {
	out := map[StatsKey]Counts{}
	v, err := tx.Get(bStats, statsDone)
	if err != nil || v == nil {
		return out, false, err
	}
	var start, end []byte
	if from != "" {
		start = []byte(from)
	}
	if to != "" {
		end = []byte(to + "\x01")
	}
	err = tx.Scan(bStats, start, end, func(k, v []byte) (bool, error) {
		if bytes.Equal(k, statsDone) {
			return true, nil
		}
		sk, ok := parseStatsKey(k)
		if !ok {
			return false, fmt.Errorf("diary statistics: bad key %q", k)
		}
		var c Counts
		if err := json.Unmarshal(v, &c); err != nil {
			return false, fmt.Errorf("diary statistics: %w", err)
		}
		out[sk] = c
		return true, nil
	})
	return out, true, err
}

// Stats returns the statistics of the months from to to, inclusive
// ("2026-11"; "" no bound), by month, type and clinician: read from the
// aggregates, or counted from the times if the aggregates were never
// counted (a diary not changed since they were added).
func (d *Diary) Stats(ctx context.Context, from, to string) (map[StatsKey]Counts, error) {
	var out map[StatsKey]Counts
	err := d.st.View(ctx, func(tx Tx) error {
		var ok bool
		var err error
		if out, ok, err = loadStats(tx, from, to); err != nil || ok {
			return err
		}
		all, err := recount(tx)
		for k, c := range all {
			if (from == "" || k.Month >= from) && (to == "" || k.Month <= to) {
				out[k] = c
			}
		}
		return err
	})
	return out, err
}

// RecountStats counts the statistics afresh from every time, in one
// snapshot, and compares them with the aggregates: what differs, one line
// each (none: equal). Aggregates never counted are equal to nothing
// counted, and otherwise one line.
func (d *Diary) RecountStats(ctx context.Context) ([]string, error) {
	var diffs []string
	err := d.st.View(ctx, func(tx Tx) error {
		want, err := recount(tx)
		if err != nil {
			return err
		}
		have, ok, err := loadStats(tx, "", "")
		if err != nil {
			return err
		}
		if !ok {
			if len(want) > 0 {
				diffs = append(diffs, "booking diary: the aggregates are not counted yet (the next change of the diary counts them)")
			}
			return nil
		}
		all := maps.Clone(want)
		maps.Copy(all, have)
		keys := slices.SortedFunc(maps.Keys(all), func(a, b StatsKey) int { return bytes.Compare(a.bytes(), b.bytes()) })
		for _, k := range keys {
			if have[k] != want[k] {
				diffs = append(diffs, fmt.Sprintf("booking diary %s, type %s, clinician %s: kept %+v, recount %+v", k.Month, k.TypeID, k.Clinician, have[k], want[k]))
			}
		}
		return nil
	})
	return diffs, err
}

// RebuildStats discards the aggregates and counts them again from every
// time, in one transaction (`clinicgw stats --rebuild`).
func (d *Diary) RebuildStats(ctx context.Context) error {
	return d.st.Update(ctx, func(tx Tx) error {
		var keys [][]byte
		if err := tx.Scan(bStats, nil, nil, func(k, _ []byte) (bool, error) {
			keys = append(keys, bytes.Clone(k))
			return true, nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(bStats, k); err != nil {
				return err
			}
		}
		return noteStats(tx, nil, nil) // counts them, no marker being left
	})
}
