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
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/casetype"
)

var inboxDist = cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-D001", Roles: []cases.Role{cases.Distributor}}

// indexWalks is db with the index entries its reads walk counted: the
// ids Scan and DueScan give, and the keys the new cases' and the queues'
// counts read (one per case they count).
type indexWalks struct {
	*DB
	n *atomic.Int64
}

func (s indexWalks) View(ctx context.Context, fn func(cases.ReadTx) error) error {
	return s.DB.View(ctx, func(tx cases.ReadTx) error { return fn(walkTx{tx, s.n}) })
}

type walkTx struct {
	cases.ReadTx
	n *atomic.Int64
}

func (t walkTx) Scan(idx cases.Index, values []string, w cases.Walk, fn func(cases.ID) bool) error {
	return t.ReadTx.Scan(idx, values, w, func(id cases.ID) bool { t.n.Add(1); return fn(id) })
}

func (t walkTx) DueScan(idx cases.Index, value string, limit time.Time, from cases.DuePos, desc bool, fn func(cases.ID, time.Time) bool) error {
	return t.ReadTx.DueScan(idx, value, limit, from, desc, func(id cases.ID, due time.Time) bool { t.n.Add(1); return fn(id, due) })
}

func (t walkTx) CountFresh() (int, bool, error) {
	n, ok, err := t.ReadTx.(cases.FreshCounter).CountFresh()
	t.n.Add(int64(n))
	return n, ok, err
}

func (t walkTx) CountQueues() (map[string]int, bool, error) {
	m, ok, err := t.ReadTx.(cases.QueueCounter).CountQueues()
	for _, n := range m {
		t.n.Add(int64(n))
	}
	return m, ok, err
}

// byIndexes is db seen only as a cases.Store: the inbox's counts walk its
// indexes, as they did before the aggregates.
type byIndexes struct{ cases.Store }

func inboxService(t *testing.T, st cases.Store, now time.Time) *cases.Service {
	t.Helper()
	svc, err := cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: st, Clock: clocktest.New(now),
		Rand: crand.Reader, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestInboxCountsReadNoIndex (issue 18): the inbox's counts, read at every
// inbox load and every live refresh of its counts, come from aggregates
// kept with the cases (statsinbox.go), so they walk no index entry of
// the open cases they count.
func TestInboxCountsReadNoIndex(t *testing.T) {
	db, _ := testStore(t)
	var cs []*cases.Case
	for i := range 60 {
		c := newCase(i, "Hej")
		c.Type = casetype.All[i%len(casetype.All)]
		switch i % 4 {
		case 1:
			c.Status, c.Assignee = cases.Assigned, "SE2321000016-C001"
		case 2:
			c.Group = "lakare"
		}
		cs = append(cs, c)
	}
	insert(t, db, cs...)
	var walked atomic.Int64
	got, err := inboxService(t, indexWalks{db, &walked}, t0.Add(50*time.Hour)).InboxCounts(ctx, inboxDist)
	if err != nil {
		t.Fatal(err)
	}
	if got.Open != len(cs) || got.Unassigned != 45 || got.ByGroup["lakare"] != 15 {
		t.Errorf("counts %+v, want 60 open, 45 unassigned, 15 in the queue", got)
	}
	if n := walked.Load(); n != 0 {
		t.Errorf("the inbox's counts walked %d index entries for %d open cases, want none", n, len(cs))
	}
}

// TestInboxCountsEqualRecount: after random workloads through every path
// that writes a case (statsWorkload, and assignments that make a case no
// longer new), the inbox's counts from the aggregates equal those counted
// from the indexes, judged at several times.
func TestInboxCountsEqualRecount(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			db, dir := testStore(t)
			rnd := rand.New(rand.NewPCG(seed, 1818))
			w := &statsWorkload{t: t, db: db, rnd: rnd, dir: dir}
			for i := range 300 {
				if i%5 == 4 && len(w.ids) > 0 {
					assignRandomly(t, w.db, rnd, w.ids[rnd.IntN(len(w.ids))])
				} else {
					w.step()
				}
				if i%20 == 19 {
					checkInboxCounts(t, w.db)
				}
			}
		})
	}
}

// assignRandomly gives case id to a clinician or back to the inbox, with
// an event in its history (so it is no longer new).
func assignRandomly(t *testing.T, db *DB, rnd *rand.Rand, id cases.ID) {
	t.Helper()
	err := db.Update(ctx, func(tx cases.Tx) error {
		c, err := tx.Case(id)
		if err != nil {
			return err
		}
		c.Version++
		c.Assignee = []string{"", "SE2321000016-C001", "SE2321000016-C002"}[rnd.IntN(3)]
		c.History = append(c.History, cases.Event{At: c.ReceivedAt, Actor: "SE2321000016-D001", Action: cases.Assign, To: c.Status})
		return tx.Update(c)
	})
	if err != nil && !errors.Is(err, cases.ErrNotFound) {
		t.Fatal(err)
	}
}

func checkInboxCounts(t *testing.T, db *DB) {
	t.Helper()
	for _, now := range []time.Time{statsT0.AddDate(0, 0, 3).Add(13 * time.Hour), statsT0.AddDate(0, 0, 12), statsT0.AddDate(0, 0, 40)} {
		want, err := inboxService(t, byIndexes{db}, now).InboxCounts(ctx, inboxDist)
		if err != nil {
			t.Fatal(err)
		}
		got, err := inboxService(t, db, now).InboxCounts(ctx, inboxDist)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("at %v the inbox's counts from the aggregates\n%+v\nfrom the indexes\n%+v", now, got, want)
		}
	}
}

// TestInboxAggregatesOfLayout4Store: a store whose aggregates are of
// layout 4 (before the inbox's) counts from its indexes until the next
// Open counts the aggregates again, the inbox's with them.
func TestInboxAggregatesOfLayout4Store(t *testing.T) {
	db, dir := testStore(t)
	rnd := rand.New(rand.NewPCG(4, 1818))
	w := &statsWorkload{t: t, db: db, rnd: rnd}
	for range 120 {
		w.step()
	}
	err := db.update(func(btx *bolt.Tx) error {
		b := btx.Bucket([]byte(bucketStats))
		var keys [][]byte
		b.ForEach(func(k, _ []byte) error {
			if k[0] == statsInbox {
				keys = append(keys, bytes.Clone(k))
			}
			return nil
		})
		if len(keys) == 0 {
			t.Fatal("the workload left no case in the inbox")
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return btx.Bucket([]byte(bucketMeta)).Put(keyStatsVersion, binary.BigEndian.AppendUint32(nil, 4))
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := db.InboxBuckets(ctx, func(cases.InboxBucket, int) {}); ok || err != nil {
		t.Fatalf("the inbox's aggregates of a layout-4 store: %v, %v; want not complete", ok, err)
	}
	checkInboxCounts(t, db) // from the indexes
	db.Close()
	db = openAt(t, dir)
	if ok, err := db.InboxBuckets(ctx, func(cases.InboxBucket, int) {}); !ok || err != nil {
		t.Fatalf("the inbox's aggregates after Open: %v, %v; want complete", ok, err)
	}
	checkInboxCounts(t, db)
	if diffs, err := db.RecountStats(ctx); err != nil || len(diffs) > 0 {
		t.Fatalf("recount: %v\n%s", err, joinLines(diffs))
	}
}
