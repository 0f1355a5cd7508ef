package store

import (
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/casetype"
)

// listBenchSizes are the store sizes of BenchmarkLists:
// CLINICGW_LIST_CASES (comma-separated), 10,000 and 100,000 by default.
func listBenchSizes() []int {
	var out []int
	for _, f := range strings.Split(os.Getenv("CLINICGW_LIST_CASES"), ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		out = []int{10_000, 100_000}
	}
	return out
}

var (
	listOpen = []cases.Status{cases.Received, cases.Assigned, cases.PartiallyAnswered, cases.WaitingForPatient}
	listDone = []cases.Status{cases.Answered, cases.Closed, cases.Withdrawn}
)

// BenchmarkLists: the list pages' reads (cases.Service.List with its
// access-log entry, one group commit each) on a store of mostly closed
// history: 20 clinicians, 98% of the cases answered or closed, 2 KiB each.
// "mine" is a clinician's open cases (about 100), "inbox" the open view's
// first page (200 of 2,000 open), "done" the newest 200 answered or
// closed; "inbox-due" the open view due first (the inbox's default),
// "inbox-counts" the counts beside the inbox's views. Each iteration also runs the walks List made before the list
// indexes (the assignee index with every case decoded and filtered; the
// status index), with the same commit, so the ratio comes from one run:
// *-before-* metrics.
func BenchmarkLists(b *testing.B) {
	for _, n := range listBenchSizes() {
		b.Run(fmt.Sprintf("cases=%d", n), func(b *testing.B) { benchLists(b, n) })
	}
}

func benchLists(b *testing.B, n int) {
	dir := b.TempDir()
	if err := GenerateKeyFile(filepath.Join(dir, "kek.key"), nil, false); err != nil {
		b.Fatal(err)
	}
	kek, _ := LoadKeyFile(filepath.Join(dir, "kek.key"))
	db, err := Open(ctx, filepath.Join(dir, "store.db"), kek, Options{Unit: testUnit})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const clinicians = 20
	hsa := func(i int) string { return fmt.Sprintf("SE2321000016-C%03d", i%clinicians) }
	start := time.Now()
	for i := 0; i < n; i += 1000 {
		cs := benchCases(i, min(1000, n-i))
		err := db.Update(ctx, func(tx cases.Tx) error {
			for j, c := range cs {
				k := i + j
				c.Type = casetype.All[k%len(casetype.All)]
				switch {
				case k < n*98/100:
					c.Status, c.Assignee = []cases.Status{cases.Answered, cases.Closed}[k%2], hsa(k)
				case k%2 == 0:
					c.Status, c.Assignee = cases.Assigned, hsa(k)
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
	b.Logf("seeded %d cases in %v", n, time.Since(start))
	// The back-fill an older store gets at its first open.
	stripListIndexes(b, db, "")
	start = time.Now()
	if err := db.addBuckets(); err != nil {
		b.Fatal(err)
	}
	if err := db.indexLists(ctx); err != nil {
		b.Fatal(err)
	}
	backfill := time.Since(start)
	svc, err := cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: db,
		Clock: clocktest.New(t0.Add(time.Duration(n+60) * time.Second)), Rand: mrand.NewChaCha8([32]byte{'l'}),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	clin := cases.Actor{Kind: cases.Staff, HSAID: hsa(0), Roles: []cases.Role{cases.Clinician}}
	dist := cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-D001", Roles: []cases.Role{cases.Distributor}}
	const page = 201 // what the list pages ask for

	// before is List as it was: one index walked from its oldest entry,
	// every case decoded and filtered, then the access-log entry.
	before := func(actor cases.Actor, walk func(cases.ReadTx, func(cases.ID) bool) error, keep func(*cases.Case) bool) int {
		var out int
		err := db.Shared(ctx, func(tx cases.Tx) error {
			out = 0
			var lerr error
			err := walk(tx, func(id cases.ID) bool {
				c, err := tx.Case(id)
				if err != nil {
					lerr = err
					return false
				}
				if keep(c) {
					out++
				}
				return out < page
			})
			if err == nil {
				err = lerr
			}
			if err != nil {
				return err
			}
			return tx.AppendAudit(audit.Entry{Time: t0, Actor: actor.Name(), Unit: testUnit, Action: string(cases.List), Outcome: audit.Allowed})
		})
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	statuses := func(sts []cases.Status) []string {
		out := make([]string, len(sts))
		for i, s := range sts {
			out[i] = string(s)
		}
		return out
	}
	ops := []benchOp{
		{"mine", func() int {
			return len(need(svc.List(ctx, clin, cases.Filter{Assignee: clin.HSAID, Status: listOpen, Limit: page})))
		}},
		{"mine-before", func() int {
			return before(clin, func(tx cases.ReadTx, fn func(cases.ID) bool) error {
				return tx.Lookup(cases.ByAssignee, clin.HSAID, fn)
			}, func(c *cases.Case) bool { return slices.Contains(listOpen, c.Status) })
		}},
		{"inbox", func() int { return len(need(svc.List(ctx, dist, cases.Filter{Status: listOpen, Limit: page}))) }},
		{"inbox-before", func() int {
			return before(dist, func(tx cases.ReadTx, fn func(cases.ID) bool) error {
				return tx.LookupAny(cases.ByStatus, statuses(listOpen), fn)
			}, func(*cases.Case) bool { return true })
		}},
		{"done", func() int {
			return len(need(svc.List(ctx, dist, cases.Filter{Status: listDone, Newest: true, Limit: page})))
		}},
		// The inbox's default order (due first) and the counts beside its
		// views (from indexes: no case decoded).
		{"inbox-due", func() int {
			return len(need(svc.List(ctx, dist, cases.Filter{Status: listOpen, DueFirst: true, Limit: page})))
		}},
		{"inbox-counts", func() int { return need(svc.InboxCounts(ctx, dist)).Open }},
		{"inbox-type", func() int {
			return len(need(svc.List(ctx, dist, cases.Filter{Status: listOpen, Type: casetype.All[0], Limit: page})))
		}},
		{"inbox-type-before", func() int {
			return before(dist, func(tx cases.ReadTx, fn func(cases.ID) bool) error {
				return tx.Lookup(cases.ByType, string(casetype.All[0]), fn)
			}, func(c *cases.Case) bool { return slices.Contains(listOpen, c.Status) })
		}},
	}
	timeOps(b, ops)
	b.ReportMetric(float64(n)/backfill.Seconds(), "backfill-cases/s")
}

func need[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
