package archive

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// BenchmarkExport exports CLINICGW_ARCHIVE_CASES (default 100000) closed
// cases of about 2 KiB of Swedish text each, with four access-log records
// each, seeded straight into the store in batches. Each round first reads
// and decrypts every one of those cases (the reference: what no export
// can beat), then runs the export (write, verify, purge; the key term's
// retirement is BenchmarkExportRetire's). It reports cases/s of both and
// their ratio (export/read, issue 18's goal ≥ 0.2), MB/s of package
// written and its bytes per case, and the CPU seconds of both (the
// process's, garbage collection and every goroutine included) with their
// ratio, which a loaded machine blurs far less than the wall-time one.
// Run with -benchtime 1x.
func BenchmarkExport(b *testing.B) { benchExport(b, false) }

// BenchmarkExportRetire is BenchmarkExport with the key term retired after
// the purge (rotate, reseal every remaining value, retire), as the
// gateway's nightly run does.
func BenchmarkExportRetire(b *testing.B) { benchExport(b, true) }

func benchExport(b *testing.B, retire bool) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("CLINICGW_ARCHIVE_CASES")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		f := newBenchFixture(b)
		seedClosed(b, f, n)
		f.clock.Advance(100 * 24 * time.Hour)
		a, err := New(Config{DB: f.db, Unit: unit, Dir: f.arch, Signer: f.signer, Clock: f.clock, Retire: retire})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start, cpu := time.Now(), processCPU(b)
		read := 0
		err = f.db.View(ctx, func(tx cases.ReadTx) error {
			return tx.Lookup(cases.ByStatus, string(cases.Closed), func(id cases.ID) bool {
				if _, err := tx.Case(id); err == nil {
					read++
				}
				return true
			})
		})
		if err != nil || read != n {
			b.Fatalf("read %d of %d cases: %v", read, n, err)
		}
		readSecs, readCPU := time.Since(start).Seconds(), processCPU(b)-cpu
		start, cpu = time.Now(), processCPU(b)
		rep, err := a.Run(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		secs, exportCPU := time.Since(start).Seconds(), processCPU(b)-cpu
		if rep.Cases != n {
			b.Fatalf("exported %d cases, want %d", rep.Cases, n)
		}
		b.ReportMetric(float64(n)/readSecs, "read-cases/s")
		b.ReportMetric(float64(rep.Cases)/secs, "cases/s")
		b.ReportMetric(readSecs/secs, "export/read")
		b.ReportMetric(float64(rep.Bytes)/1e6/secs, "MB/s")
		b.ReportMetric(float64(rep.Bytes)/float64(rep.Cases), "B/case")
		if readCPU > 0 && exportCPU > 0 {
			b.ReportMetric(readCPU.Seconds(), "read-cpu-s")
			b.ReportMetric(exportCPU.Seconds(), "cpu-s")
			b.ReportMetric(readCPU.Seconds()/exportCPU.Seconds(), "cpu-export/read")
		}
	}
}

// benchText is about 2 KiB of Swedish case text, å, ä and ö included.
var benchText = strings.Repeat("Hej! Jag har haft ont i halsen och feber sedan förra veckan och undrar om jag behöver komma på besök. "+
	"Medicinen som förskrevs i våras är slut, kan ni förnya receptet? Tack på förhand för hjälpen. ", 11)[:2048]

// seedClosed inserts n closed cases with their access-log records, 1000 per
// transaction.
func seedClosed(b *testing.B, f *fixture, n int) {
	ctx := context.Background()
	now := f.clock.Now()
	for i := 0; i < n; i += 1000 {
		err := f.db.Update(ctx, func(tx cases.Tx) error {
			for j := i; j < min(i+1000, n); j++ {
				id, err := caseid.New(now.Add(time.Duration(j)*time.Millisecond), deterministic(j))
				if err != nil {
					return err
				}
				pnr := personnummer.Synthetic(time.Date(1930+j%80, time.Month(1+j%12), 1+j%28, 0, 0, 0, 0, time.UTC), 980+j%20) // ≥ 10k distinct patients
				c := &cases.Case{ID: id, Unit: unit, Type: casetype.All[j%len(casetype.All)], Status: cases.Closed,
					Patient: cases.Person{PNR: pnr, Name: "Test Testsson"}, ReceivedAt: now, DueAt: now.Add(48 * time.Hour),
					AnsweredAt: now, ClosedAt: now, Assignee: hsaClin,
					Fields: []cases.Field{{Name: "q", Label: "Fråga", Value: "Svar"}},
					Messages: []cases.Message{{ID: "m1", Kind: cases.FromPatient, Author: "patient", Text: benchText, At: now},
						{ID: "m2", Kind: cases.Answer, Author: hsaClin, Text: "Svar.", At: now}},
					History: []cases.Event{{At: now, Actor: "system", Action: cases.Receive, To: cases.Received}}}
				if err := tx.Insert(c); err != nil {
					return err
				}
				for _, act := range []cases.Action{cases.Receive, cases.Assign, cases.SendAnswer, cases.Close} {
					if err := tx.AppendAudit(audit.Entry{Time: now, Actor: hsaDist, Unit: unit, Action: string(act),
						CaseID: string(id), Patient: string(pnr), Outcome: audit.Allowed}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// deterministic is a reader of bytes from seed, for case ids.
type deterministic int

func (d deterministic) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(int(d) >> (8 * (i % 4)))
	}
	return len(p), nil
}
