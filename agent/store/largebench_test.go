package store

import (
	"errors"
	"fmt"

	"io/fs"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// BenchmarkLarge is `make bench-large`: every page's read at each store
// size in CLINICGW_LARGE_CASES (comma-separated; the benchmark is skipped
// without it, so `make bench-all` stays short), on one store per size of
// realistic cases with four access-log entries each (largeStore). The
// sizes are measured in one run, so the ratio of the largest to the
// smallest is honest on a noisy machine: each round times every size's
// ops, one after another. Each op is the read its page
// makes, with its access-log entry where the page writes one:
//   - stats: Service.Stats for the statistics page's default period (the
//     last twelve weeks);
//   - view: the auditor's page, the chain from the last checkpoint
//     (VerifyAuditRecent); patient, staff: the first page of the extract
//     of a patient with a case in every 500 (every 100 in a small store;
//     four entries each) and of a clinician (one of 20);
//   - mine: a clinician's open cases (/mine); inbox, inbox-type, done: the
//     inbox's open view, its open view of one case type and its done view
//     (newest first), first page;
//   - overdue, overdue-type, overdue-mine, today-type, today-mine: the
//     overdue and due-today views, whole and filtered by case type or by
//     clinician (the clinician's own /mine?view=overdue);
//     overdue-type-before and today-mine-before read as those lists did
//     before the filtered due-date indexes (every open case due decoded
//     and filtered), in the same rounds.
//
// The metrics are each op's p50 and p99 at each size (N-op-p50-ms,
// N-op-p99-ms) and what it read (N-op-rows: rows on the page, records
// checked, cases received in the period), each store's build time when it was built in this run
// (N-build-s; 0 when it came from the cache) and the time to open it
// (N-open-s: Open checks the whole file and every sealed value).
//
//	CLINICGW_LARGE_CASES=10000,1000000 go test -run '^$' -bench '^BenchmarkLarge$' -benchtime 200x -timeout 3h ./agent/store/
func BenchmarkLarge(b *testing.B) {
	var sizes []int
	for _, f := range strings.Split(os.Getenv("CLINICGW_LARGE_CASES"), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1000 {
			b.Fatalf("CLINICGW_LARGE_CASES=%q: want sizes of at least 1000 like 10000,1000000", os.Getenv("CLINICGW_LARGE_CASES"))
		}
		sizes = append(sizes, n)
	}
	if len(sizes) == 0 {
		b.Skip("CLINICGW_LARGE_CASES is not set (make bench-large sets it)")
	}
	// Every size's ops in each round, so that a moment of load on the
	// machine falls on all of them alike.
	var ops []benchOp
	var built, opened []time.Duration
	var tails []int
	for _, n := range sizes {
		db, g, bt, ot := largeStore(b, n)
		ops = append(ops, largeOps(b, db, g)...)
		built, opened = append(built, bt), append(opened, ot)
		tails = append(tails, patientTailOf(b, db))
	}
	// What each op read (rows shown, records checked), for the table: a
	// page at 10,000 cases may hold fewer rows than one at 1M.
	rows := make([]int, len(ops))
	for i := range ops {
		run := ops[i].run
		ops[i].run = func() int { rows[i] = run(); return rows[i] }
	}
	runtime.GC()
	timeOps(b, ops)
	for i, op := range ops {
		b.ReportMetric(float64(rows[i]), op.name+"-rows")
	}
	for i, n := range sizes {
		b.ReportMetric(float64(tails[i]), fmt.Sprintf("%d-patient-tail", n))
		b.ReportMetric(built[i].Seconds(), fmt.Sprintf("%d-build-s", n))
		b.ReportMetric(opened[i].Seconds(), fmt.Sprintf("%d-open-s", n))
	}
}

// patientTailOf is how many access-log records the extract by patient
// scans before it walks the patient's chain (the unchained tail,
// patientTail; fewer than patientTailLen), as the run starts: it differs
// from store to store with where the log's last chaining fell.
func patientTailOf(b *testing.B, db *DB) int {
	n := 0
	err := db.view(func(btx *bolt.Tx) error {
		t := db.newTx(btx)
		c := t.bucket(bucketAuditPatient).Cursor()
		for k, _ := c.Seek(seqKey(t.patientUpTo() + 1)); k != nil; k, _ = c.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// largeOps are the reads timed on one store, each named with its size.
func largeOps(b *testing.B, db *DB, g largeGen) []benchOp {
	svc, err := cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: db, Clock: clocktest.New(g.now),
		Rand: mrand.NewChaCha8([32]byte{'L'}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	admin := cases.Actor{Kind: cases.Staff, HSAID: testUnit, Roles: []cases.Role{cases.UnitAdmin}}
	auditor := cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-G001", Roles: []cases.Role{cases.Auditor}}
	dist := cases.Actor{Kind: cases.Staff, HSAID: largeDistributor, Roles: []cases.Role{cases.Distributor}}
	clin := cases.Actor{Kind: cases.Staff, HSAID: g.clinician(0), Roles: []cases.Role{cases.Clinician}}
	y, m, d := g.now.In(workday.Stockholm()).Date()
	to := time.Date(y, m, d+1, 0, 0, 0, 0, workday.Stockholm())
	from := to.AddDate(0, 0, -84)
	const page = 201 // what the list pages ask for
	list := func(actor cases.Actor, f cases.Filter) func() int {
		f.Limit = page
		return func() int { return len(need(svc.List(ctx, actor, f))) }
	}
	typ := casetype.All[0]
	// before is a due-date list as it was read before the filtered
	// due-date indexes: every open case due before limit decoded and
	// filtered, then the access-log entry, in one group commit.
	before := func(actor cases.Actor, limit time.Time, keep func(*cases.Case) bool) func() int {
		return func() int {
			var out int
			err := db.Shared(ctx, func(tx cases.Tx) error {
				out = 0
				var lerr error
				err := tx.DueScan(cases.ByDue, "", limit, cases.DuePos{}, false, func(id cases.ID, _ time.Time) bool {
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
				return tx.AppendAudit(audit.Entry{Time: g.now, Actor: actor.HSAID, Unit: testUnit, Action: string(cases.List), Outcome: audit.Allowed})
			})
			if err != nil {
				b.Fatal(err)
			}
			return out
		}
	}
	ops := []benchOp{
		{"stats", func() int { return need(svc.Stats(ctx, admin, from, to)).Received }},
		{"view", func() int { return max(int(need(db.VerifyAuditRecent(ctx)).Entries), 1) }},
		{"patient", func() int { return len(need(svc.AccessLogPageByPatient(ctx, auditor, g.patient(0), 0)).Records) }},
		{"staff", func() int { return len(need(svc.AccessLogPageByActor(ctx, auditor, g.clinician(0), 0)).Records) }},
		{"mine", list(clin, cases.Filter{Status: listOpen})},
		{"inbox", list(dist, cases.Filter{Status: listOpen})},
		{"inbox-type", list(dist, cases.Filter{Status: listOpen, Type: typ})},
		{"done", list(dist, cases.Filter{Status: listDone, Newest: true})},
		{"overdue", list(dist, cases.Filter{Overdue: true})},
		{"overdue-type", list(dist, cases.Filter{Overdue: true, Type: typ})},
		{"overdue-mine", list(clin, cases.Filter{Overdue: true})},
		{"today-type", list(dist, cases.Filter{DueBy: to, Type: typ})},
		{"today-mine", list(clin, cases.Filter{DueBy: to})},
		{"overdue-type-before", before(dist, g.now, func(c *cases.Case) bool { return c.Type == typ })},
		{"today-mine-before", before(clin, to, func(c *cases.Case) bool { return c.Assignee == clin.HSAID })},
	}
	if only := os.Getenv("CLINICGW_LARGE_OPS"); only != "" { // e.g. stats,view: only those rows
		ops = slices.DeleteFunc(ops, func(op benchOp) bool { return !slices.Contains(strings.Split(only, ","), op.name) })
	}
	for i := range ops {
		ops[i].name = fmt.Sprintf("%d-%s", g.n, ops[i].name)
	}
	return ops
}

// largeGenVersion names what largeStore writes: bump it whenever the
// generator or the store's layout changes, so a cached store of the old
// kind is not reused.
const largeGenVersion = 1

const largeDistributor = "SE2321000016-D001"

// largeGen is what a large store holds: n cases received over the year
// before now, two thirds of the last week's (the backlog) still open
// (Received, Assigned, PartiallyAnswered, WaitingForPatient), the rest
// answered, closed or withdrawn; 20 clinicians; 2 KiB of Swedish text and
// 5 to 10 form fields each; max(n/4, 10,000) patients, patient 0 in every
// 500th case. Every case has four access-log entries: its receipt
// (system), its assignment (the distributor), its reading and its answer
// (the clinician).
//
// A store of fewer than fullBelow cases, the small store a row compares
// the large one with, is made by the same rule with other parameters, so
// that each compared page shows as many rows as at 1,000,000 (201, or
// all the large store has: 112 overdue and 154 due today for one
// clinician): its backlog is the whole year and nine in ten of it still
// open, and patient 0 has a case in every 100th. With a week's backlog, as
// until 2026-12-07, 10,000 cases left about 128 cases open: the first page
// of one clinician's open cases showed 8 rows, of one case type's 13, the
// overdue views 2 to 30, the due-today views 3 to 5, against 112 to 201 at
// 1M, and those rows compared pages of different lengths.
type largeGen struct {
	n        int
	now      time.Time
	patients int
	// backlog is how far back cases may still be open; a case in it is
	// open unless rnd.IntN(openOdds) is 0.
	backlog  time.Duration
	openOdds int
	// patientEvery: patient 0 has every patientEvery-th case.
	patientEvery int
}

// fullBelow: a store of fewer cases is made with every compared page full
// (largeGen).
const fullBelow = 100_000

func newLargeGen(n int) largeGen {
	g := largeGen{n: n, now: time.Date(2026, 11, 30, 14, 0, 0, 0, workday.Stockholm()), patients: max(n/4, 10_000),
		backlog: 7 * 24 * time.Hour, openOdds: 3, patientEvery: 500}
	if n < fullBelow {
		g.backlog, g.openOdds, g.patientEvery = 400*24*time.Hour, 10, 100
	}
	return g
}

// full reports whether g is made with every compared page full
// (fullBelow); its cache folder's name says so.
func (g largeGen) full() bool { return g.n < fullBelow }

func (g largeGen) clinician(i int) string { return fmt.Sprintf("SE2321000016-C%03d", i%20) }

func (g largeGen) patient(i int) personnummer.Personnummer {
	return personnummer.Synthetic(time.Date(1930, 1, 1+i/20, 0, 0, 0, 0, time.UTC), 980+i%20)
}

var largeText = strings.Repeat("Hej! Jag har haft ont i halsen och feber i tre dagar och undrar om jag behöver komma in. Går det bra på förmiddagen? Tack på förhand, hälsningar. ", 15)[:2048]

// write fills db: 5,000 cases and their 20,000 access-log entries per
// transaction, through the store's own transactions (not the sync).
func (g largeGen) write(db *DB) error {
	start := g.now.AddDate(-1, 0, 0)
	step := g.now.Sub(start) / time.Duration(g.n)
	rnd := mrand.New(mrand.NewPCG(uint64(g.n), largeGenVersion))
	ids := mrand.NewChaCha8([32]byte{'i', 'd'})
	const batch = 5000
	for i := 0; i < g.n; i += batch {
		err := db.Update(ctx, func(tx cases.Tx) error {
			for j := i; j < min(i+batch, g.n); j++ {
				at := start.Add(time.Duration(j) * step)
				c := newCase(j, largeText)
				id, err := caseid.New(at, ids)
				if err != nil {
					return err
				}
				c.ID = id
				c.Type = casetype.All[rnd.IntN(len(casetype.All))]
				p := 1 + rnd.IntN(g.patients-1)
				if j%g.patientEvery == 0 {
					p = 0
				}
				c.Patient.PNR = g.patient(p)
				c.ReceivedAt, c.SentAt = at, at.Add(-time.Minute)
				c.DueAt = cases.DueDate(c.SentAt)
				c.Messages[0].At = at
				c.History[0].At = at
				c.Fields = nil
				for f := range 5 + rnd.IntN(6) {
					c.Fields = append(c.Fields, cases.Field{Name: fmt.Sprintf("f%d", f), Label: "Beskrivning av besvär", Value: "Ont i halsen, feber 38,5 °C, inga läkemedel"})
				}
				clin := g.clinician(rnd.IntN(20))
				switch age := g.now.Sub(at); {
				case age < g.backlog && rnd.IntN(g.openOdds) > 0: // the backlog
					c.Status = []cases.Status{cases.Received, cases.Assigned, cases.PartiallyAnswered, cases.WaitingForPatient}[rnd.IntN(4)]
				default:
					c.Status = []cases.Status{cases.Answered, cases.Closed, cases.Closed, cases.Withdrawn}[rnd.IntN(4)]
					if c.Status != cases.Withdrawn {
						c.AnsweredAt = at.Add(time.Duration(rnd.ExpFloat64() * float64(20*time.Hour)))
					}
				}
				if c.Status != cases.Received {
					c.Assignee = clin
				}
				if err := tx.Insert(c); err != nil {
					return err
				}
				for k, e := range []struct {
					actor  string
					action cases.Action
				}{{"system", cases.Receive}, {largeDistributor, cases.Assign}, {clin, cases.Read}, {clin, cases.SendAnswer}} {
					err := tx.AppendAudit(audit.Entry{Time: at.Add(time.Duration(k) * step / 4), Actor: e.actor, Unit: testUnit,
						Action: string(e.action), CaseID: string(c.ID), Patient: string(c.Patient.PNR), Outcome: audit.Allowed})
					if err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// A signed checkpoint, as the nightly full check leaves one.
	_, err := db.VerifyAudit(ctx)
	return err
}

// adoptOlderSchema renames a kept store of the same generator and size
// but of an older schema (the newest there is) to kept, when kept has
// none: Open migrates it, and that open's time (N-open-s) is the
// migration's, instead of building the store again (hours at 1M cases).
func adoptOlderSchema(b *testing.B, cache, kept string, g largeGen) {
	b.Helper()
	if _, err := os.Stat(filepath.Join(kept, "store.db")); err == nil {
		return
	}
	for v := schemaVersion - 1; v >= 1; v-- {
		old := filepath.Join(cache, fmt.Sprintf("large-v%d-s%d-%d", largeGenVersion, v, g.n))
		if g.full() {
			old += "-full"
		}
		if _, err := os.Stat(filepath.Join(old, "store.db")); err != nil {
			continue
		}
		if err := os.Rename(old, kept); err != nil {
			b.Fatal(err)
		}
		b.Logf("the store of %d cases of schema %d, migrated at Open, is kept as schema %d", g.n, v, schemaVersion)
		return
	}
}

// largeStore opens the store of n cases that largeGen makes, built once
// and kept in the cache folder (CLINICGW_BENCH_CACHE, else the user's
// cache folder's clinicgw-bench) under the generator's version: a rerun
// opens it instead of building it again. It is opened where it is, not
// copied (6.5 GB at 1M cases): a run adds its reads' access-log entries
// to it, a few thousand among millions. It returns the time the build
// took (0 when the store came from the cache) and the time to open it.
func largeStore(b *testing.B, n int) (*DB, largeGen, time.Duration, time.Duration) {
	b.Helper()
	g := newLargeGen(n)
	cache := os.Getenv("CLINICGW_BENCH_CACHE")
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			b.Fatalf("no cache folder (set CLINICGW_BENCH_CACHE): %v", err)
		}
		cache = filepath.Join(dir, "clinicgw-bench")
	}
	kept := filepath.Join(cache, fmt.Sprintf("large-v%d-s%d-%d", largeGenVersion, schemaVersion, n))
	if g.full() {
		kept += "-full" // not the store of a week's backlog a run before 2026-12-07 kept
	}
	var built time.Duration
	adoptOlderSchema(b, cache, kept, g)
	if _, err := os.Stat(filepath.Join(kept, "store.db")); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(cache, 0o700); err != nil {
			b.Fatal(err)
		}
		tmp, err := os.MkdirTemp(cache, "building-")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		start := time.Now()
		if err := GenerateKeyFile(filepath.Join(tmp, "kek.key"), nil, false); err != nil {
			b.Fatal(err)
		}
		kek, _ := LoadKeyFile(filepath.Join(tmp, "kek.key"))
		db, err := Open(ctx, filepath.Join(tmp, "store.db"), kek, Options{Unit: testUnit})
		if err != nil {
			b.Fatal(err)
		}
		err = g.write(db)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatalf("build the store of %d cases: %v", n, err)
		}
		built = time.Since(start)
		b.Logf("built the store of %d cases in %v", n, built.Round(time.Second))
		if err := os.Rename(tmp, kept); err != nil {
			b.Fatal(err)
		}
	} else if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	db := openAt(b, kept)
	return db, g, built, time.Since(start)
}
