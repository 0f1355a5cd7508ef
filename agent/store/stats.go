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
	"clinicgw/sync/wire/casetype"
)

// The statistics' aggregates (cases.StatsStore): what every case adds to
// the statistics (cases.TallyOf), summed in bucketStats and kept in step
// by the transaction that writes the case. Every write of a case passes
// through tx.Insert, tx.Update or PurgeCases, whichever service method or
// sync path made it; each notes the case's tally before and after
// (noteStats), and flushStats writes the net change before the commit.
// So the sums change in the same transaction as the cases, or not at all.
//
// Keys (a day is cases.StatsDay, 4 bytes big-endian with the sign bit
// flipped, so keys sort by day):
//
//	'r' day              the cases received that day: count per type, status and group
//	'R' monday           the same for the ISO week that starts on that Monday
//	'a' day group 0 type the first answers sent that day to cases of the type routed to the group: a histogram of their handling times
//	'w' monday group 0 type the same for the ISO week that starts on that Monday
//	'o' due day group    the open cases due at due (12 bytes: Unix seconds sign-flipped, nanoseconds) received that day, routed to the group: a count
//	'i' status 0 type 0 group 0 flags due  the inbox's cases in one cases.InboxBucket: a count (statsinbox.go)
//
// The group is the staff group a case was routed to (cases.Case.Group,
// "" for the inbox), so the statistics come per group too, handling
// times included (from the group's histograms).
//
// A histogram (cases.HandlingHist) is the exact sum of the times (16
// bytes, big-endian) and then, by bucket, the bucket's number less the
// previous one's and its count (uvarints): at most some 2,700 buckets
// however many cases were answered, so a period reads its whole weeks'
// histograms and the days' of the weeks it only partly covers; so too
// the counts of cases received ('r' and 'R'). Values are sealed like
// every other (AAD: bucket and key); they hold counts and durations only. A store made before the aggregates, or one
// whose rebuild was cut short, is counted at Open (ensureStats), in
// batches that each commit with a marker of how far they got, so a
// stopped count goes on where it stopped; RebuildStats counts again from
// nothing, RecountStats compares the sums with a full recount.

const bucketStats = "stats"

// statsVersion is the aggregates' layout; a store whose keyStatsVersion
// is another is counted again at Open.
// Version 1 kept every handling time; 2 added the group; 4 keeps
// histograms of the handling times and weekly keys beside the daily ones,
// per group (3, histograms without groups, was never released); 5 adds
// the inbox's aggregates (statsinbox.go).
const statsVersion = 5

var (
	keyStatsVersion = []byte("stats-version")
	// keyStatsRebuild, while a count runs, is 'c' and the id of the last
	// case counted ('c' alone: none yet). Writes of cases after it are
	// left to the count.
	keyStatsRebuild = []byte("stats-rebuild")
)

// statsBatch is how many cases a count adds per transaction (a variable
// for tests).
var statsBatch = 5000

const (
	statsRecv     byte = 'r'
	statsRecvWeek byte = 'R'
	statsAns      byte = 'a'
	statsWeek     byte = 'w'
	statsOpen     byte = 'o'
)

func dayKey(d cases.StatsDay) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(d)^1<<31)
}

func parseDay(b []byte) cases.StatsDay {
	return cases.StatsDay(int32(binary.BigEndian.Uint32(b) ^ 1<<31))
}

// recvKey is a count's: kind statsRecv and the day, or statsRecvWeek
// and the week's Monday.
type recvKey struct {
	kind  byte
	day   cases.StatsDay
	typ   casetype.Type
	st    cases.Status
	group string
}

// ansKey is a histogram's: kind statsAns and the day, or statsWeek and
// the week's Monday.
type ansKey struct {
	kind  byte
	day   cases.StatsDay
	typ   casetype.Type
	group string
}

type openKey struct {
	sec   int64
	nsec  int32
	day   cases.StatsDay
	group string
}

func (k openKey) due() time.Time { return time.Unix(k.sec, int64(k.nsec)).UTC() }

func (k openKey) key() []byte {
	b := []byte{statsOpen}
	b = binary.BigEndian.AppendUint64(b, uint64(k.sec)^1<<63)
	b = binary.BigEndian.AppendUint32(b, uint32(k.nsec))
	return append(append(b, dayKey(k.day)...), k.group...)
}

func (k ansKey) key() []byte {
	return append(append(append(append([]byte{k.kind}, dayKey(k.day)...), k.group...), 0), k.typ...)
}

// parseAnsKey takes an 'a' or 'w' key apart; false when it has no 0
// after the group (checkStatsKey refuses it first).
func parseAnsKey(k []byte) (ansKey, bool) {
	group, typ, ok := ansKeyNames(k)
	if !ok {
		return ansKey{}, false
	}
	return ansKey{kind: k[0], day: parseDay(k[1:5]), group: string(group), typ: casetype.Type(typ)}, true
}

// ansKeyNames returns the group and the type of an 'a' or 'w' key, in
// k's array; false when it has no 0 after the group.
func ansKeyNames(k []byte) (group, typ []byte, ok bool) {
	if len(k) < 6 {
		return nil, nil, false
	}
	rest := k[5:]
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return nil, nil, false
	}
	return rest[:i], rest[i+1:], true
}

func recvDayKey(kind byte, d cases.StatsDay) []byte { return append([]byte{kind}, dayKey(d)...) }

// statsSums is aggregates in memory: a transaction's net change (counts
// may be negative) or a whole store's.
type statsSums struct {
	recv  map[recvKey]int
	open  map[openKey]int
	ans   map[ansKey]*histSum
	inbox map[inboxKey]int // statsinbox.go
}

// histSum is a histogram in memory, or a change of one.
type histSum struct {
	n   map[cases.HandlingBucket]int
	sum cases.HandlingSum
}

func (h *histSum) changed() bool {
	for _, n := range h.n {
		if n != 0 {
			return true
		}
	}
	return h.sum != cases.HandlingSum{}
}

func newStatsSums() *statsSums {
	return &statsSums{recv: map[recvKey]int{}, open: map[openKey]int{}, ans: map[ansKey]*histSum{}}
}

// add adds sign times what tl counts.
func (s *statsSums) add(tl cases.StatsTally, sign int) {
	s.addInbox(tl, sign) // statsinbox.go: a case of any unit
	if !tl.Counted {
		return
	}
	s.recv[recvKey{statsRecv, tl.Received, tl.Type, tl.Status, tl.Group}] += sign
	s.recv[recvKey{statsRecvWeek, cases.StatsWeekOf(tl.Received), tl.Type, tl.Status, tl.Group}] += sign
	if tl.Status.Open() {
		s.open[openKey{tl.Due.Unix(), int32(tl.Due.Nanosecond()), tl.Received, tl.Group}] += sign
	}
	if tl.Answered {
		b := cases.HandlingBucketOf(tl.Handling)
		for _, k := range []ansKey{{statsAns, tl.AnsweredDay, tl.Type, tl.Group}, {statsWeek, cases.StatsWeekOf(tl.AnsweredDay), tl.Type, tl.Group}} {
			h := s.ans[k]
			if h == nil {
				h = &histSum{n: map[cases.HandlingBucket]int{}}
				s.ans[k] = h
			}
			h.n[b] += sign
			h.sum = h.sum.Add(time.Duration(sign) * tl.Handling) // Handling ≥ 0
		}
	}
}

// noteStats notes that the case id changed from before to after (nil: it
// did not exist, or no longer does).
func (t *tx) noteStats(id cases.ID, before, after *cases.Case) {
	if !t.statsCounts(id) {
		return
	}
	if t.stats == nil {
		t.stats = newStatsSums()
	}
	if before != nil {
		t.stats.add(cases.TallyOf(before, t.unit), -1)
	}
	if after != nil {
		t.stats.add(cases.TallyOf(after, t.unit), +1)
	}
}

// statsCounts reports whether the aggregates follow the case id: always,
// except during a count, which counts the cases after its marker itself.
func (t *tx) statsCounts(id cases.ID) bool {
	if !t.statsLoaded {
		t.statsLoaded = true
		if v := t.bucket(bucketMeta).Get(keyStatsRebuild); len(v) > 0 {
			t.statsUpTo = cases.ID(v[1:])
			t.statsPartial = true
		}
	}
	return !t.statsPartial || id <= t.statsUpTo
}

// flushStats writes the transaction's net change of the aggregates.
// Aggregates that lack what a change takes away (damaged, or changed by
// something else than this code) are not a reason to refuse the change of
// a case: it is written, the aggregate kept at what it can be, and a
// warning says to rebuild them.
func (t *tx) flushStats() error {
	s := t.stats
	t.stats = nil
	if s == nil {
		return nil
	}
	b := t.bucket(bucketStats)
	var mismatch []string
	type dayOf struct {
		kind byte
		day  cases.StatsDay
	}
	days := map[dayOf]bool{}
	for k, n := range s.recv {
		if n != 0 {
			days[dayOf{k.kind, k.day}] = true
		}
	}
	for d := range days {
		key := recvDayKey(d.kind, d.day)
		counts, err := t.recvCounts(key, b.Get(key))
		if err != nil {
			return err
		}
		for k, n := range s.recv {
			if k.kind == d.kind && k.day == d.day && n != 0 {
				ck := k
				if counts[ck]+n < 0 {
					mismatch = append(mismatch, "received")
					n = -counts[ck]
				}
				counts[ck] += n
				if counts[ck] == 0 {
					delete(counts, ck)
				}
			}
		}
		if err := t.putRecvCounts(b, key, counts); err != nil {
			return err
		}
	}
	for k, n := range s.open {
		if err := t.addStatsCount(b, k.key(), n, "open", &mismatch); err != nil {
			return err
		}
	}
	for k, delta := range s.ans {
		if !delta.changed() {
			continue
		}
		key := k.key()
		h, err := t.statsHist(key, b.Get(key))
		if err != nil {
			return err
		}
		counts := map[cases.HandlingBucket]int{}
		for _, bc := range h.Buckets {
			counts[bc.Bucket] = bc.N
		}
		for bk, n := range delta.n {
			if counts[bk]+n < 0 {
				mismatch = append(mismatch, "answered")
				n = -counts[bk]
			}
			counts[bk] += n
		}
		out := cases.HandlingHist{Sum: h.Sum.Plus(delta.sum)}
		for _, bk := range slices.Sorted(maps.Keys(counts)) {
			if counts[bk] != 0 {
				out.Buckets = append(out.Buckets, cases.BucketCount{Bucket: bk, N: counts[bk]})
			}
		}
		if len(out.Buckets) == 0 && out.Sum != (cases.HandlingSum{}) {
			mismatch = append(mismatch, "answered")
		}
		if err := t.putStatsHist(b, key, out); err != nil {
			return err
		}
	}
	if err := t.flushInbox(b, s.inbox, &mismatch); err != nil { // statsinbox.go
		return err
	}
	if len(mismatch) > 0 {
		t.log.Warn("store: the statistics' aggregates lacked what a change of a case takes away from them; the change is written, the statistics may be off: check with clinicgw stats --recount, rebuild with clinicgw stats --rebuild",
			"aggregates", slices.Compact(slices.Sorted(slices.Values(mismatch))))
	}
	return nil
}

// A day's 'r' value (and a week's 'R') is its counts, each the type, the status and the
// group (each a uvarint length and the bytes) and the count (a uvarint),
// sorted by type, status and group.

func (t *tx) recvCounts(key, sealed []byte) (map[recvKey]int, error) {
	out := map[recvKey]int{}
	if sealed == nil {
		return out, nil
	}
	plain, err := t.s.open(bucketStats, key, sealed)
	if err != nil {
		return nil, fmt.Errorf("statistics %x: %w", key, err)
	}
	day := parseDay(key[1:])
	err = eachRecvCount(key, plain, func(typ, st, group []byte, n int) {
		out[recvKey{key[0], day, casetype.Type(typ), cases.Status(st), string(group)}] += n
	})
	return out, err
}

// eachRecvCount calls fn with each count of a day's 'r' value, whose
// strings fn may not keep.
func eachRecvCount(key, plain []byte, fn func(typ, st, group []byte, n int)) error {
	str := func() ([]byte, bool) {
		n, k := binary.Uvarint(plain)
		if k <= 0 || n > uint64(len(plain)-k) {
			return nil, false
		}
		v := plain[k : k+int(n)]
		plain = plain[k+int(n):]
		return v, true
	}
	for len(plain) > 0 {
		typ, ok1 := str()
		st, ok2 := str()
		group, ok3 := str()
		n, k := binary.Uvarint(plain)
		if !ok1 || !ok2 || !ok3 || k <= 0 || n > 1<<62 {
			return fmt.Errorf("statistics %x: undecodable counts", key)
		}
		plain = plain[k:]
		fn(typ, st, group, int(n))
	}
	return nil
}

func (t *tx) putRecvCounts(b *bolt.Bucket, key []byte, counts map[recvKey]int) error {
	if len(counts) == 0 {
		return b.Delete(key)
	}
	keys := slices.SortedFunc(maps.Keys(counts), func(a, b recvKey) int {
		if c := cmpString(string(a.typ), string(b.typ)); c != 0 {
			return c
		}
		if c := cmpString(string(a.st), string(b.st)); c != 0 {
			return c
		}
		return cmpString(a.group, b.group)
	})
	var plain []byte
	for _, k := range keys {
		plain = binary.AppendUvarint(plain, uint64(len(k.typ)))
		plain = append(plain, k.typ...)
		plain = binary.AppendUvarint(plain, uint64(len(k.st)))
		plain = append(plain, k.st...)
		plain = binary.AppendUvarint(plain, uint64(len(k.group)))
		plain = append(plain, k.group...)
		plain = binary.AppendUvarint(plain, uint64(counts[k]))
	}
	return t.putStats(b, key, plain)
}

func cmpString(a, b string) int { return bytes.Compare([]byte(a), []byte(b)) }

func (t *tx) putStats(b *bolt.Bucket, key, plain []byte) error {
	sealed, err := t.s.seal(bucketStats, key, plain)
	if err != nil {
		return err
	}
	if err := b.Put(key, sealed); err != nil {
		return fmt.Errorf("statistics: %w", err)
	}
	return nil
}

func (t *tx) statsCount(key, sealed []byte) (int, error) {
	if sealed == nil {
		return 0, nil
	}
	plain, err := t.s.open(bucketStats, key, sealed)
	if err != nil {
		return 0, fmt.Errorf("statistics %x: %w", key, err)
	}
	n, k := binary.Uvarint(plain)
	if k <= 0 || k != len(plain) {
		return 0, fmt.Errorf("statistics %x: undecodable count", key)
	}
	return int(n), nil
}

// addStatsCount adds n to the count under key; a count that would go
// below zero is kept at zero and what noted in mismatch.
func (t *tx) addStatsCount(b *bolt.Bucket, key []byte, n int, what string, mismatch *[]string) error {
	if n == 0 {
		return nil
	}
	have, err := t.statsCount(key, b.Get(key))
	if err != nil {
		return err
	}
	if have+n < 0 {
		*mismatch = append(*mismatch, what)
		n = -have
	}
	return t.putStatsCount(b, key, have+n)
}

func (t *tx) putStatsCount(b *bolt.Bucket, key []byte, n int) error {
	if n == 0 {
		return b.Delete(key)
	}
	return t.putStats(b, key, binary.AppendUvarint(nil, uint64(n)))
}

func (t *tx) statsHist(key, sealed []byte) (cases.HandlingHist, error) {
	return t.statsHistInto(key, sealed, nil)
}

// interned keeps one string per name the aggregates' values hold, so
// that reading them allocates none per count.
type interned map[string]string

func (m interned) str(b []byte) string {
	if s, ok := m[string(b)]; ok {
		return s
	}
	s := string(b)
	m[s] = s
	return s
}

func (m interned) typ(b []byte) casetype.Type { return casetype.Type(m.str(b)) }

// statsHistInto is statsHist decoding into buf's array.
func (t *tx) statsHistInto(key, sealed []byte, buf []cases.BucketCount) (cases.HandlingHist, error) {
	if sealed == nil {
		return cases.HandlingHist{}, nil
	}
	plain, err := t.s.open(bucketStats, key, sealed)
	if err != nil {
		return cases.HandlingHist{}, fmt.Errorf("statistics %x: %w", key, err)
	}
	return decodeHist(key, plain, buf)
}

// decodeHist decodes a histogram into buf's array (nil: a new one).
func decodeHist(key, plain []byte, buf []cases.BucketCount) (cases.HandlingHist, error) {
	bad := func() error { return fmt.Errorf("statistics %x: undecodable histogram of handling times", key) }
	if len(plain) < 16 {
		return cases.HandlingHist{}, bad()
	}
	h := cases.HandlingHist{Sum: cases.HandlingSum{Hi: binary.BigEndian.Uint64(plain), Lo: binary.BigEndian.Uint64(plain[8:])}}
	plain = plain[16:]
	h.Buckets = buf[:0]
	var last uint64
	for i := 0; len(plain) > 0; i++ {
		d, k := binary.Uvarint(plain)
		if k <= 0 || (d == 0 && i > 0) || last+d > 1<<31 {
			return cases.HandlingHist{}, bad()
		}
		plain = plain[k:]
		n, k := binary.Uvarint(plain)
		if k <= 0 || n == 0 || n > 1<<62 {
			return cases.HandlingHist{}, bad()
		}
		plain = plain[k:]
		last += d
		h.Buckets = append(h.Buckets, cases.BucketCount{Bucket: cases.HandlingBucket(last), N: int(n)})
	}
	return h, nil
}

// putStatsHist stores h (buckets sorted, counts positive); none at all
// deletes the key.
func (t *tx) putStatsHist(b *bolt.Bucket, key []byte, h cases.HandlingHist) error {
	if len(h.Buckets) == 0 {
		return b.Delete(key)
	}
	plain := make([]byte, 16, 16+4*len(h.Buckets))
	binary.BigEndian.PutUint64(plain, h.Sum.Hi)
	binary.BigEndian.PutUint64(plain[8:], h.Sum.Lo)
	var last cases.HandlingBucket
	for _, bc := range h.Buckets {
		plain = binary.AppendUvarint(plain, uint64(bc.Bucket-last))
		plain = binary.AppendUvarint(plain, uint64(bc.N))
		last = bc.Bucket
	}
	return t.putStats(b, key, plain)
}

// statsBuilt reports whether the aggregates are complete and current.
func statsBuilt(btx *bolt.Tx) bool {
	meta := btx.Bucket([]byte(bucketMeta))
	v := meta.Get(keyStatsVersion)
	return len(v) == 4 && binary.BigEndian.Uint32(v) == statsVersion && meta.Get(keyStatsRebuild) == nil &&
		btx.Bucket([]byte(bucketStats)) != nil
}

// AddStats adds to b the aggregates of unit's cases for b's period, from
// one snapshot; false when the store is another unit's, its aggregates are
// not complete, or the period is not whole days (cases.StatsStore).
func (db *DB) AddStats(ctx context.Context, unit string, b *cases.StatsBuilder) (bool, error) {
	first, end, fromB, toB, ok := b.Days()
	if unit != db.unit || !ok {
		return false, nil
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	done, err := db.viewStats(func(t *tx, c *bolt.Cursor) error {
		names := interned{}
		var buf []cases.BucketCount // one histogram at a time
		// A day (or a week's Monday) before the period's start is skipped
		// by the seek, one at or after its end stops the walk.
		seek := func(kind byte) []byte {
			if fromB {
				return append([]byte{kind}, dayKey(first)...)
			}
			return []byte{kind}
		}
		// A week wholly in the period is read from its weekly key, the
		// days of a week only partly in it from theirs.
		whole := func(monday cases.StatsDay) bool {
			return (!fromB || monday >= first) && (!toB || monday+7 <= end)
		}
		// walk calls add with each key of kind for the days (weekly: the
		// Mondays of whole weeks) in the period.
		walk := func(kind byte, weekly bool, add func(k, v []byte, day cases.StatsDay) error) error {
			for k, v := c.Seek(seek(kind)); k != nil && k[0] == kind; k, v = c.Next() {
				if err := checkStatsKey(k); err != nil {
					return err
				}
				day := parseDay(k[1:5])
				switch {
				case weekly && toB && day+7 > end, !weekly && toB && day >= end:
					return nil
				case weekly != whole(cases.StatsWeekOf(day)):
					continue
				}
				if err := add(k, v, day); err != nil {
					return err
				}
			}
			return nil
		}
		received := func(k, v []byte, day cases.StatsDay) error {
			plain, err := t.s.open(bucketStats, k, v)
			if err != nil {
				return fmt.Errorf("statistics %x: %w", k, err)
			}
			return eachRecvCount(k, plain, func(typ, st, group []byte, n int) {
				b.AddReceived(day, names.typ(typ), cases.Status(names.str(st)), names.str(group), n)
			})
		}
		addHist := func(k, v []byte, to *cases.StatsBuilder) error {
			h, err := t.statsHistInto(k, v, buf)
			if err != nil {
				return err
			}
			buf = h.Buckets
			db.statsCache.histsRead.Add(1)
			db.statsCache.bucketsRead.Add(uint64(len(h.Buckets)))
			group, typ, _ := ansKeyNames(k) // checked by checkStatsKey
			to.AddAnswers(parseDay(k[1:5]), names.typ(typ), names.str(group), h)
			return nil
		}
		// The handling times of the days and weeks before the current
		// week's Monday are past: added from the cache when their values
		// are those it counted (statscache.go).
		now := b.Now()
		monday := cases.StatsWeekOf(cases.StatsDayOf(now))
		var past [][]byte
		answered := func(k, v []byte, day cases.StatsDay) error {
			if day < monday {
				past = append(past, k, v)
				return nil
			}
			return addHist(k, v, b)
		}
		for _, w := range []struct {
			kind   byte
			weekly bool
			add    func(k, v []byte, day cases.StatsDay) error
		}{{statsRecv, false, received}, {statsRecvWeek, true, received}, {statsAns, false, answered}, {statsWeek, true, answered}} {
			if err := walk(w.kind, w.weekly, w.add); err != nil {
				return err
			}
		}
		if err := db.addPastAnswers(b, statsPeriod{first, end, fromB, toB}, past, addHist); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// The open cases due before now: the overdue, whatever the period,
		// sorted by due; few keys, one per due time and day of receipt.
		for k, v := c.Seek([]byte{statsOpen}); k != nil && k[0] == statsOpen; k, v = c.Next() {
			if err := checkStatsKey(k); err != nil {
				return err
			}
			ok := parseOpenKey(k)
			if !cases.IsOverdue(ok.due(), now) {
				break
			}
			if (fromB && ok.day < first) || (toB && ok.day >= end) {
				continue
			}
			n, err := t.statsCount(k, v)
			if err != nil {
				return err
			}
			b.AddOpen(ok.day, ok.due(), ok.group, n)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("statistics: %w", err)
	}
	return done, nil
}

// viewStats runs fn in a read transaction with a cursor of the
// aggregates, when they are complete and current; false, fn not run,
// when they are not.
func (db *DB) viewStats(fn func(t *tx, c *bolt.Cursor) error) (bool, error) {
	var done bool
	err := db.view(func(btx *bolt.Tx) error {
		if !statsBuilt(btx) {
			return nil
		}
		if err := fn(db.newTx(btx), btx.Bucket([]byte(bucketStats)).Cursor()); err != nil {
			return err
		}
		done = true
		return nil
	})
	return done, err
}

func parseOpenKey(k []byte) openKey {
	return openKey{
		sec:   int64(binary.BigEndian.Uint64(k[1:9]) ^ 1<<63),
		nsec:  int32(binary.BigEndian.Uint32(k[9:13])),
		day:   parseDay(k[13:17]),
		group: string(k[17:]),
	}
}

// checkStatsKey refuses a key of bucketStats that is not of one of its
// shapes (before it is taken apart).
func checkStatsKey(k []byte) error {
	ok := false
	switch k[0] {
	case statsRecv, statsRecvWeek:
		ok = len(k) == 5
	case statsAns, statsWeek:
		_, ok = parseAnsKey(k) // a group and a case type may be empty
	case statsOpen:
		ok = len(k) >= 17
	case statsInbox:
		_, ok = parseInboxKey(k)
	}
	if !ok {
		return fmt.Errorf("statistics: a key of unknown shape (%x): %w", k, ErrTampered)
	}
	return nil
}
