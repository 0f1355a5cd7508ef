package store

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/caseid"
)

// The benchmarks measure, in one run, what DESIGN.md's performance facts
// are about: the encrypted store's batched ingest beside plain bbolt doing
// the same commits, a scan that opens and decodes every case, and the
// memory a process needs to serve a store of 100k cases.
//
//	go test -run '^$' -bench . -benchtime 20000x ./agent/store/

// benchCases makes n cases numbered from first on, received a second
// apart in that order, as a real stream of cases arrives: ids and receipt
// times grow from batch to batch.
func benchCases(first, n int) []*cases.Case {
	out := make([]*cases.Case, n)
	for i := range out {
		c := newCase(first+i, text2k)
		c.ReceivedAt = t0.Add(time.Duration(first+i) * time.Second)
		c.DueAt = c.ReceivedAt.Add(48 * time.Hour)
		id, err := caseid.New(c.ReceivedAt, rand.Reader)
		if err != nil {
			panic(err)
		}
		c.ID = id
		out[i] = c
	}
	return out
}

// BenchmarkIngest interleaves batches into plain bbolt (the same cases,
// JSON-encoded, one Put each) and into the encrypted store (sealed, indexed,
// one access-log entry each — what a real receive does), timing each side,
// so that the ratio comes from one run on one noisy machine. Each iteration
// is one batch on each side.
func BenchmarkIngest(b *testing.B) {
	for _, batch := range []int{100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			bdb, err := bolt.Open(filepath.Join(b.TempDir(), "plain.db"), 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
			if err != nil {
				b.Fatal(err)
			}
			defer bdb.Close()
			bdb.Update(func(btx *bolt.Tx) error { _, err := btx.CreateBucket([]byte("cases")); return err })
			db, _ := testStore(b)
			var plain, sealed time.Duration
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				cs := benchCases(i*batch, batch)
				b.StartTimer()
				start := time.Now()
				err := bdb.Update(func(btx *bolt.Tx) error {
					bk := btx.Bucket([]byte("cases"))
					bk.FillPercent = 0.9
					for _, c := range cs {
						v, err := json.Marshal(c)
						if err != nil {
							return err
						}
						if err := bk.Put([]byte(c.ID), v); err != nil {
							return err
						}
					}
					return nil
				})
				plain += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				start = time.Now()
				err = db.Update(ctx, func(tx cases.Tx) error {
					for _, c := range cs {
						if err := tx.Insert(c); err != nil {
							return err
						}
						if err := tx.AppendAudit(audit.Entry{Time: c.ReceivedAt, Actor: "system", Unit: testUnit,
							Action: "receive", CaseID: string(c.ID), Patient: string(c.Patient.PNR), Outcome: audit.Allowed}); err != nil {
							return err
						}
					}
					return nil
				})
				sealed += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
			}
			n := float64(b.N * batch)
			b.ReportMetric(n/plain.Seconds(), "plain-cases/s")
			b.ReportMetric(n/sealed.Seconds(), "encrypted-cases/s")
			b.ReportMetric(plain.Seconds()/sealed.Seconds(), "ratio")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// benchCaseCount is the size of the seeded store for the scan and memory
// benchmarks: CLINICGW_BENCH_CASES, 100000 by default.
func benchCaseCount() int {
	if n, err := strconv.Atoi(os.Getenv("CLINICGW_BENCH_CASES")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

var seeded struct {
	once sync.Once
	dir  string
	err  error
}

// seededStore returns a folder holding a store of benchCaseCount() cases,
// built once per process.
func seededStore(b *testing.B) string {
	seeded.once.Do(func() {
		dir, err := os.MkdirTemp("", "clinicgw-bench-")
		if err != nil {
			seeded.err = err
			return
		}
		seeded.dir = dir
		if err := GenerateKeyFile(filepath.Join(dir, "kek.key"), nil, false); err != nil {
			seeded.err = err
			return
		}
		kek, _ := LoadKeyFile(filepath.Join(dir, "kek.key"))
		db, err := Open(ctx, filepath.Join(dir, "store.db"), kek, Options{Unit: testUnit})
		if err != nil {
			seeded.err = err
			return
		}
		defer db.Close()
		n := benchCaseCount()
		for i := 0; i < n; i += 1000 {
			cs := benchCases(i, min(1000, n-i))
			seeded.err = db.Update(ctx, func(tx cases.Tx) error {
				for j, c := range cs {
					c.Status = []cases.Status{cases.Received, cases.Assigned, cases.Answered, cases.Closed}[(i+j)%4]
					if err := tx.Insert(c); err != nil {
						return err
					}
				}
				return nil
			})
			if seeded.err != nil {
				return
			}
		}
	})
	if seeded.err != nil {
		b.Fatal(seeded.err)
	}
	return seeded.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if seeded.dir != "" {
		os.RemoveAll(seeded.dir)
	}
	os.Exit(code)
}

func BenchmarkScanDecrypt(b *testing.B) {
	dir := seededStore(b)
	kek, _ := LoadKeyFile(filepath.Join(dir, "kek.key"))
	db, err := Open(ctx, filepath.Join(dir, "store.db"), kek, Options{Unit: testUnit})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ResetTimer()
	total := 0
	for range b.N {
		err := db.View(ctx, func(tx cases.ReadTx) error {
			return tx.Cases(func(*cases.Case) bool { total++; return true })
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "cases/s")
}

const rssChildEnv = "CLINICGW_RSS_CHILD"

// TestRSSChild opens a seeded store, does what the service does over a day
// (statistics over every case, inbox lookups, the due list), and prints
// its memory figures from /proc/self/status.
func TestRSSChild(t *testing.T) {
	dir := os.Getenv(rssChildEnv)
	if dir == "" {
		t.Skip("helper process for BenchmarkRSS")
	}
	kek, _ := LoadKeyFile(filepath.Join(dir, "kek.key"))
	db, err := Open(ctx, filepath.Join(dir, "store.db"), kek, Options{Unit: testUnit})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	err = db.View(ctx, func(tx cases.ReadTx) error {
		sb := cases.NewStatsBuilder(t0.Add(-24*time.Hour), t0.Add(365*24*time.Hour), t0.Add(24*time.Hour))
		if err := tx.Cases(func(c *cases.Case) bool { sb.Add(c); n++; return true }); err != nil {
			return err
		}
		_ = sb.Result()
		if err := tx.Lookup(cases.ByStatus, string(cases.Received), func(cases.ID) bool { return true }); err != nil {
			return err
		}
		return tx.DueBefore(t0.Add(24*time.Hour), func(cases.ID, time.Time) bool { return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		for _, k := range []string{"VmHWM", "VmRSS", "RssAnon", "RssFile"} {
			if strings.HasPrefix(line, k+":") {
				fmt.Println(line)
			}
		}
	}
	fmt.Printf("cases: %d\n", n)
}

// BenchmarkRSS runs TestRSSChild in a fresh process and reports its
// resident memory: RssAnon is the process's own memory (goal ≤ 64 MiB at
// 100k cases); RssFile is the store's file mapped in by the page cache.
func BenchmarkRSS(b *testing.B) {
	dir := seededStore(b)
	for range b.N {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRSSChild$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), rssChildEnv+"="+dir)
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 3 && f[2] == "kB" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				b.ReportMetric(kb/1024, strings.TrimSuffix(f[0], ":")+"-MiB")
			}
		}
	}
}
