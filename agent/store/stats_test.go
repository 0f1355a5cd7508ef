package store

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/workday"
)

// statsWorkload writes random cases and random changes of them to db
// through every path that inserts, changes or removes a case: Insert,
// Update (several per transaction, of a case inserted in the same one),
// Shared, rolled-back transactions, PurgeCases. Times straddle midnights,
// a daylight-saving change and week ends; some cases are another unit's,
// some have no due date, some answers are stamped before receipt. Cases
// are routed to staff groups' queues or the inbox, and moved between them.
type statsWorkload struct {
	t    *testing.T
	db   *DB
	rnd  *rand.Rand
	next int
	ids  []cases.ID
	// dir is the store's folder: when set, the rare writers run too
	// (statsrare_test.go); backup is a backup of the store they made.
	dir, backup string
}

// statsGroups are the queues the workload routes cases to ("": the inbox).
var statsGroups = []string{"", "", "lakare", "sjukskoterskor", "psykologer-bup"}

var statsStatuses = []cases.Status{cases.Received, cases.Assigned, cases.PartiallyAnswered,
	cases.WaitingForPatient, cases.Answered, cases.Closed, cases.Withdrawn}

// statsT0 is a week before Sweden moves its clocks forward (29 March 2026).
var statsT0 = time.Date(2026, 3, 22, 0, 0, 0, 0, workday.Stockholm())

func (w *statsWorkload) randTime() time.Time {
	// Over 21 days, on the minute, often right around a midnight.
	d := time.Duration(w.rnd.IntN(21*24*60)) * time.Minute
	at := statsT0.Add(d)
	if w.rnd.IntN(4) == 0 {
		y, m, dd := at.Date()
		at = time.Date(y, m, dd, 0, 0, 0, 0, workday.Stockholm()).Add(time.Duration(w.rnd.IntN(3)-1) * time.Nanosecond)
	}
	return at
}

func (w *statsWorkload) newCase() *cases.Case {
	w.next++
	c := newCase(w.next, "Hej")
	c.Type = casetype.All[w.rnd.IntN(len(casetype.All))]
	c.ReceivedAt = w.randTime()
	c.SentAt = c.ReceivedAt.Add(-time.Duration(w.rnd.IntN(600)) * time.Minute)
	c.DueAt = cases.DueDate(c.SentAt)
	if w.rnd.IntN(5) == 0 {
		c.DueAt = time.Time{} // judged by its time of record
	}
	if w.rnd.IntN(5) == 0 {
		c.SentAt = time.Time{} // stored before SentAt was kept
	}
	if w.rnd.IntN(15) == 0 {
		c.Unit = "SE2321000016-OTHR"
	}
	c.Group = statsGroups[w.rnd.IntN(len(statsGroups))]
	w.change(c)
	return c
}

// change moves c to a random status with times to match, or sometimes
// only renews its due date (a patient's reply reopening it).
func (w *statsWorkload) change(c *cases.Case) {
	c.Status = statsStatuses[w.rnd.IntN(len(statsStatuses))]
	switch w.rnd.IntN(6) {
	case 0:
		c.AnsweredAt = time.Time{}
	case 1, 2:
		if c.AnsweredAt.IsZero() {
			c.AnsweredAt = c.ReceivedAt.Add(time.Duration(w.rnd.IntN(5*24*60)-60) * time.Minute)
		}
	case 3:
		c.DueAt = cases.DueDate(w.randTime())
	}
	if w.rnd.IntN(10) == 0 {
		c.Type = casetype.All[w.rnd.IntN(len(casetype.All))]
	}
	if w.rnd.IntN(5) == 0 { // moved to another queue
		c.Group = statsGroups[w.rnd.IntN(len(statsGroups))]
	}
}

// step runs one random operation.
func (w *statsWorkload) step() {
	t := w.t
	if w.dir != "" && w.rnd.IntN(12) == 0 {
		w.rare()
		return
	}
	var err error
	switch op := w.rnd.IntN(10); {
	case op < 4 || len(w.ids) == 0: // receive a few
		var added []cases.ID
		err = w.db.Update(ctx, func(tx cases.Tx) error {
			added = nil
			for range 1 + w.rnd.IntN(4) {
				c := w.newCase()
				if err := tx.Insert(c); err != nil {
					return err
				}
				added = append(added, c.ID)
				if w.rnd.IntN(3) == 0 { // changed in the transaction that received it
					c2 := *c
					c2.Version++
					w.change(&c2)
					if err := tx.Update(&c2); err != nil {
						return err
					}
				}
			}
			return nil
		})
		w.ids = append(w.ids, added...)
	case op < 7: // change one, in a transaction of its own or a shared one
		id := w.ids[w.rnd.IntN(len(w.ids))]
		fn := func(tx cases.Tx) error {
			for range 1 + w.rnd.IntN(2) {
				c, err := tx.Case(id)
				if err != nil {
					return err
				}
				c.Version++
				w.change(c)
				if err := tx.Update(c); err != nil {
					return err
				}
			}
			return tx.AppendAudit(audit.Entry{Time: statsT0, Actor: "system", Unit: testUnit, Action: string(cases.Read), CaseID: string(id), Outcome: audit.Allowed})
		}
		if op == 6 {
			err = w.db.Shared(ctx, fn)
		} else {
			err = w.db.Update(ctx, fn)
		}
	case op < 8: // a change given up: nothing of it may count
		id := w.ids[w.rnd.IntN(len(w.ids))]
		errGiveUp := errors.New("given up")
		err = w.db.Update(ctx, func(tx cases.Tx) error {
			c, err := tx.Case(id)
			if err != nil {
				return err
			}
			c.Version++
			w.change(c)
			if err := tx.Update(c); err != nil {
				return err
			}
			if err := tx.Insert(w.newCase()); err != nil {
				return err
			}
			return errGiveUp
		})
		if errors.Is(err, errGiveUp) {
			err = nil
		}
	default: // the archive purges a few (some already gone)
		var ids []cases.ID
		for range 1 + w.rnd.IntN(3) {
			i := w.rnd.IntN(len(w.ids))
			ids = append(ids, w.ids[i])
			if w.rnd.IntN(4) != 0 {
				w.ids = slices.Delete(w.ids, i, i+1)
			}
			if len(w.ids) == 0 {
				break
			}
		}
		_, err = w.db.PurgeCases(ctx, ids, func(*cases.Case) error { return nil })
	}
	if err != nil && !errors.Is(err, cases.ErrNotFound) {
		t.Fatal(err)
	}
}

// checkStats fails t unless the kept aggregates equal a full recount and
// Stats from them equal Stats counted from every case, for periods of
// whole days (open or bounded) judged at several times.
func checkStats(t *testing.T, db *DB, rnd *rand.Rand) {
	t.Helper()
	diffs, err := db.RecountStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Fatalf("the aggregates differ from a recount:\n%s", joinLines(diffs))
	}
	all := unitCases(t, db)
	day := func(n int) time.Time { return statsT0.AddDate(0, 0, n) }
	fixed := [][2]time.Time{{}, {day(0), time.Time{}}, {time.Time{}, day(10)}}
	periods := slices.Clone(fixed)
	for range 6 {
		a := rnd.IntN(24) - 2
		periods = append(periods, [2]time.Time{day(a), day(a + 1 + rnd.IntN(10))})
	}
	view := func(p [2]time.Time, now time.Time) {
		t.Helper()
		want := cases.ComputeStats(all, p[0], p[1], now)
		b := cases.NewStatsBuilder(p[0], p[1], now)
		ok, err := db.AddStats(ctx, testUnit, b)
		if err != nil || !ok {
			t.Fatalf("AddStats %v: %v, %v", p, ok, err)
		}
		if got := b.Result(); !reflect.DeepEqual(got, want) {
			t.Fatalf("period %v at %v: from the aggregates\n%+v\nfrom every case\n%+v", p, now, got, want)
		}
	}
	// The fixed periods at day 40, when every day of the workload is
	// past, first and last: the first views meet the cache of past weeks
	// (statscache.go) as the last views of the check before left it, and
	// the steps since moved those weeks.
	late := day(40)
	for _, p := range fixed {
		view(p, late)
	}
	for _, p := range periods {
		for _, now := range []time.Time{day(5).Add(13 * time.Hour), day(12), late} {
			view(p, now)
			view(p, now) // from the cache the first left
		}
	}
	for _, p := range fixed {
		view(p, late)
	}
}

// unitCases returns every case of the test unit in db (those Stats
// counts).
func unitCases(t *testing.T, db *DB) []*cases.Case {
	t.Helper()
	var all []*cases.Case
	err := db.View(ctx, func(tx cases.ReadTx) error {
		return tx.Cases(func(c *cases.Case) bool {
			if c.Unit == testUnit {
				all = append(all, c)
			}
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func joinLines(ls []string) string {
	s := ""
	for _, l := range ls {
		s += "  " + l + "\n"
	}
	return s
}

// TestStatsAggregatesEqualRecount runs random workloads, the rare writers
// of past weeks among them (statsrare_test.go), and checks, every few
// steps, that the aggregates equal a full recount and give the Stats a
// count of every case gives, each view twice: the second from the cache
// of past weeks the first left (statscache.go), which the steps between
// two checks move.
func TestStatsAggregatesEqualRecount(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			db, dir := testStore(t)
			rnd := rand.New(rand.NewPCG(seed, 18))
			w := &statsWorkload{t: t, db: db, rnd: rnd, dir: dir}
			for i := range 360 {
				w.step()
				if i%20 == 19 {
					checkStats(t, w.db, rnd)
				}
			}
		})
	}
}

// TestStatsCountResumes stops a rebuild of the aggregates after its first
// batch, writes cases before and after its marker meanwhile, and reopens:
// Open finishes the count, and the sums equal a recount. A store whose
// aggregates were lost (an older clinicgw's, or a backup of one) is
// counted at Open the same way.
func TestStatsCountResumes(t *testing.T) {
	defer func(n int) { statsBatch = n }(statsBatch)
	statsBatch = 7
	db, dir := testStore(t)
	rnd := rand.New(rand.NewPCG(7, 18))
	w := &statsWorkload{t: t, db: db, rnd: rnd}
	for range 80 {
		w.step()
	}
	checkStats(t, db, rnd)

	stop, cancel := context.WithCancel(ctx)
	err := db.RebuildStats(stop, func(done, total int) {
		if done >= 2*statsBatch {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("rebuild stopped after two batches: %v", err)
	}
	if diffs, _ := db.RecountStats(ctx); len(diffs) != 1 {
		t.Fatalf("a stopped count is not complete, and the recount must say so: %q", diffs)
	}
	if ok, err := db.AddStats(ctx, testUnit, cases.NewStatsBuilder(time.Time{}, time.Time{}, statsT0)); ok || err != nil {
		t.Fatalf("stats from a stopped count: %v, %v; want none (the service counts the cases)", ok, err)
	}
	for range 60 { // writes while the count is half done
		w.step()
	}
	db.Close()
	db = openAt(t, dir)
	w.db = db
	checkStats(t, db, rnd)

	// Aggregates lost altogether: counted again at Open.
	err = db.update(func(btx *bolt.Tx) error {
		if err := btx.DeleteBucket([]byte(bucketStats)); err != nil {
			return err
		}
		return btx.Bucket([]byte(bucketMeta)).Delete(keyStatsVersion)
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openAt(t, dir)
	checkStats(t, db, rnd)
}

// TestStatsOpensNoCase: the statistics of a period of whole days are read
// from the aggregates; not one case is opened. (Before the aggregates,
// Stats decrypted every case on every view.)
func TestStatsOpensNoCase(t *testing.T) {
	db, _ := testStore(t)
	w := &statsWorkload{t: t, db: db, rnd: rand.New(rand.NewPCG(3, 18))}
	for range 40 {
		w.step()
	}
	svc, err := cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: noCaseReads{db}, Clock: clocktest.New(statsT0.AddDate(0, 0, 30)), Rand: crand.Reader, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	admin := cases.Actor{Kind: cases.Staff, HSAID: testUnit, Roles: []cases.Role{cases.UnitAdmin}}
	st, err := svc.Stats(ctx, admin, statsT0, statsT0.AddDate(0, 0, 21))
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	if st.Received == 0 {
		t.Fatalf("stats counted nothing: %+v", st)
	}
}

// noCaseReads is the store with every read of a case refused.
type noCaseReads struct{ *DB }

func (s noCaseReads) View(ctx context.Context, fn func(cases.ReadTx) error) error {
	return s.DB.View(ctx, func(tx cases.ReadTx) error { return fn(noCaseReadTx{tx}) })
}

type noCaseReadTx struct{ cases.ReadTx }

func (noCaseReadTx) Cases(func(*cases.Case) bool) error {
	return errors.New("statistics read every case")
}

func (noCaseReadTx) Case(cases.ID) (*cases.Case, error) {
	return nil, errors.New("statistics read a case")
}

// TestStatsSealed: the aggregates are sealed like every value, under
// their bucket and key: nothing of them in clear, and a value moved to
// another day's key does not open.
func TestStatsSealed(t *testing.T) {
	db, _ := testStore(t)
	w := &statsWorkload{t: t, db: db, rnd: rand.New(rand.NewPCG(5, 18))}
	for range 40 {
		w.step()
	}
	// Each kind of count (a day's, a week's): one moved to another key.
	err := db.update(func(btx *bolt.Tx) error {
		b := btx.Bucket([]byte(bucketStats))
		for _, kind := range []byte{statsRecv, statsRecvWeek} {
			var keys, vals [][]byte
			b.ForEach(func(k, v []byte) error {
				if k[0] == kind {
					keys, vals = append(keys, slices.Clone(k)), append(vals, slices.Clone(v))
				}
				return nil
			})
			for _, v := range vals {
				for _, typ := range casetype.All {
					if bytes.Contains(v, []byte(typ)) {
						t.Errorf("an aggregate holds %q in clear", typ)
					}
				}
			}
			if len(keys) < 2 {
				t.Fatalf("%d days (%c) counted", len(keys), kind)
			}
			if err := b.Put(keys[0], vals[1]); err != nil { // another day's counts
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecountStats(ctx); err == nil || !strings.Contains(err.Error(), "statistics") {
		t.Errorf("recount with a value moved to another key: %v", err)
	}
	if _, err := db.AddStats(ctx, testUnit, cases.NewStatsBuilder(time.Time{}, time.Time{}, statsT0)); err == nil {
		t.Error("stats from a value moved to another key: no error")
	}
}

// TestSchema2FixtureGetsAggregates: a store an older clinicgw wrote, with
// no aggregates, has them at its first open, equal to a recount.
func TestSchema2FixtureGetsAggregates(t *testing.T) {
	db, _ := openFixture(t, clocktest.New(fixFixtureClock.Add(24*time.Hour)))
	if diffs, err := db.RecountStats(ctx); err != nil || len(diffs) > 0 {
		t.Fatalf("recount: %v %q", err, diffs)
	}
	b := cases.NewStatsBuilder(time.Time{}, time.Time{}, fixFixtureClock.Add(24*time.Hour))
	if ok, err := db.AddStats(ctx, testUnit, b); !ok || err != nil {
		t.Fatalf("stats from the aggregates: %v, %v", ok, err)
	}
	if st := b.Result(); st.Received != 3 || st.Answered != 1 {
		t.Errorf("stats %+v; want the fixture's 3 cases, 1 answered", st)
	}
}

// TestStatsHandlingTimesBounded: the aggregates of a day's answers are a
// histogram of bounded size, not every handling time: four times the
// answers on the same days take less than twice the bytes, so that a
// statistics view reads O(buckets) whatever the store holds.
func TestStatsHandlingTimesBounded(t *testing.T) {
	db, _ := testStore(t)
	rnd := rand.New(rand.NewPCG(18, 1))
	next := 0
	answer := func(n int) {
		err := db.Update(ctx, func(tx cases.Tx) error {
			for range n {
				next++
				c := newCase(next, "Hej")
				c.Type = casetype.All[0]
				c.ReceivedAt = statsT0.Add(time.Duration(rnd.IntN(2*24*60)) * time.Minute)
				c.SentAt, c.DueAt = c.ReceivedAt, cases.DueDate(c.ReceivedAt)
				c.Status = cases.Answered
				c.AnsweredAt = c.ReceivedAt.Add(time.Duration(rnd.Int64N(int64(48 * time.Hour))))
				if err := tx.Insert(c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	size := func() (n int) {
		db.view(func(btx *bolt.Tx) error {
			return btx.Bucket([]byte(bucketStats)).ForEach(func(k, v []byte) error {
				if k[0] == statsAns || k[0] == statsWeek {
					n += len(v)
				}
				return nil
			})
		})
		return n
	}
	answer(1000)
	small := size()
	answer(3000)
	large := size()
	t.Logf("the handling times' aggregates: %d bytes for 1,000 answers, %d for 4,000", small, large)
	if large >= 2*small {
		t.Errorf("the handling times' aggregates grow with the answers: %d bytes for 1,000, %d for 4,000", small, large)
	}
	checkStats(t, db, rnd)
}

// TestStatsVersion1StoreGetsHistograms: a store whose aggregates are of
// an older layout — 1 (every handling time, no groups, no weekly keys), 2
// (every handling time per group) or 3 (histograms and weekly keys, no
// groups) — gets the histograms per group at the next Open, equal to a
// recount.
func TestStatsVersion1StoreGetsHistograms(t *testing.T) {
	for _, version := range []uint32{1, 2, 3} {
		t.Run(fmt.Sprint("layout ", version), func(t *testing.T) {
			db, dir := testStore(t)
			rnd := rand.New(rand.NewPCG(uint64(version), 18))
			w := &statsWorkload{t: t, db: db, rnd: rnd}
			for range 120 {
				w.step()
			}
			err := db.update(func(btx *bolt.Tx) error {
				b := btx.Bucket([]byte(bucketStats))
				var keys [][]byte
				b.ForEach(func(k, _ []byte) error {
					if k[0] == statsAns || k[0] == statsWeek {
						keys = append(keys, bytes.Clone(k))
					}
					return nil
				})
				if len(keys) == 0 {
					t.Fatal("the workload answered nothing")
				}
				tx := db.newTx(btx)
				for _, k := range keys {
					ak, _ := parseAnsKey(k)
					switch {
					case version == 3:
						// Histograms under keys of no group: the day's
						// or week's and the type.
						v, err := tx.s.open(bucketStats, k, b.Get(k))
						if err != nil {
							return err
						}
						if err := b.Delete(k); err != nil {
							return err
						}
						if err := tx.putStats(b, append(append([]byte{k[0]}, dayKey(ak.day)...), ak.typ...), v); err != nil {
							return err
						}
					case k[0] == statsWeek:
						if err := b.Delete(k); err != nil {
							return err
						}
					default:
						// Every handling time (here one, of a minute).
						if version == 1 {
							if err := b.Delete(k); err != nil {
								return err
							}
							k = append(append([]byte{statsAns}, dayKey(ak.day)...), ak.typ...)
						}
						if err := tx.putStats(b, k, binary.AppendUvarint(nil, uint64(time.Minute))); err != nil {
							return err
						}
					}
				}
				return btx.Bucket([]byte(bucketMeta)).Put(keyStatsVersion, binary.BigEndian.AppendUint32(nil, version))
			})
			if err != nil {
				t.Fatal(err)
			}
			if diffs, err := db.RecountStats(ctx); err == nil && len(diffs) == 0 {
				t.Fatalf("recount of a layout-%d store: no differences; want it not complete", version)
			}
			db.Close()
			db = openAt(t, dir)
			checkStats(t, db, rnd)
		})
	}
}
