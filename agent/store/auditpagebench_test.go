package store

import (
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/personnummer"
)

// BenchmarkAuditPage: the auditor's page at 10k and 100k access-log
// entries (CLINICGW_AUDIT_ENTRIES, comma-separated, overrides), each read
// with its own access-log entry in a group commit, as the page does:
//   - view: the GET, the chain checked from the last checkpoint
//     (VerifyAuditRecent); view-before: the whole chain, as every view
//     did before the checkpoints;
//   - patient: the first page (200, newest first) of the extract of a
//     patient with an entry in every 50 (200 at 10k, 2,000 at 100k), among
//     n/4 patients; patient-before: the extract as it was, the patient
//     index scanned from its start and every record of the patient opened;
//   - staff: the first page of a clinician's extract (one of 20);
//     staff-before: every record of the clinician, oldest first.
//
// The *-before-* metrics come from the same run, so the ratio is honest on
// a noisy machine.
func BenchmarkAuditPage(b *testing.B) {
	for _, n := range auditBenchSizes() {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) { benchAuditPage(b, n) })
	}
}

func auditBenchSizes() []int {
	var out []int
	for _, f := range strings.Split(os.Getenv("CLINICGW_AUDIT_ENTRIES"), ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		out = []int{10_000, 100_000}
	}
	return out
}

func benchAuditPage(b *testing.B, n int) {
	db, _ := testStore(b)
	patients := max(n/4, 2)
	const clinicians = 20
	hsa := func(i int) string { return fmt.Sprintf("SE2321000016-C%03d", i%clinicians) }
	pnr := func(i int) personnummer.Personnummer {
		return personnummer.Synthetic(time.Date(1930, 1, 1+i/20, 0, 0, 0, 0, time.UTC), 980+i%20)
	}
	start := time.Now()
	for i := 0; i < n; i += 5000 {
		err := db.Update(ctx, func(tx cases.Tx) error {
			for j := i; j < min(i+5000, n); j++ {
				e := audit.Entry{Time: t0.Add(time.Duration(j) * time.Second), Actor: hsa(j), Unit: testUnit, Action: string(cases.Read),
					CaseID: fmt.Sprintf("c%025d", j/4), Patient: string(pnr(1 + (j*7919)%(patients-1))), Outcome: audit.Allowed}
				if j%50 == 0 {
					e.Patient = string(pnr(0))
				}
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d entries in %v", n, time.Since(start))
	svc, err := cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: db,
		Clock: clocktest.New(t0.Add(time.Duration(n+60) * time.Second)), Rand: mrand.NewChaCha8([32]byte{'a'}),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	auditor := cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-G001", Roles: []cases.Role{cases.Auditor}}
	// before reads as the extract did before the pages: all of it, then
	// the access-log entry, in one group commit.
	before := func(read func(t *tx, fn func(audit.Record) bool) error, patient personnummer.Personnummer) int {
		var got int
		err := db.Shared(ctx, func(ctx cases.Tx) error {
			t := ctx.(*tx)
			got = 0
			if err := read(t, func(audit.Record) bool { got++; return true }); err != nil {
				return err
			}
			return t.AppendAudit(audit.Entry{Time: t0, Actor: auditor.HSAID, Unit: testUnit, Action: string(cases.ReadAccessLog),
				Patient: string(patient), Outcome: audit.Allowed})
		})
		if err != nil {
			b.Fatal(err)
		}
		return got
	}
	ops := []benchOp{
		{"view", func() int { return int(need(db.VerifyAuditRecent(ctx)).Entries) }},
		{"view-before", func() int { return int(need(db.VerifyAudit(ctx)).Entries) }},
		{"patient", func() int { return len(need(svc.AccessLogPageByPatient(ctx, auditor, pnr(0), 0)).Records) }},
		{"patient-before", func() int {
			return before(func(t *tx, fn func(audit.Record) bool) error { // the code before the chain
				var err error
				scanPatient(t.bucket(bucketAuditPatient), t.blind(string(pnr(0))), func(_, v []byte) []byte { return v }, func(k []byte) bool {
					var r audit.Record
					if r, err = t.auditRecord(k); err != nil {
						return false
					}
					return fn(r)
				})
				return err
			}, pnr(0))
		}},
		{"staff", func() int { return len(need(svc.AccessLogPageByActor(ctx, auditor, hsa(0), 0)).Records) }},
		{"staff-before", func() int {
			return before(func(t *tx, fn func(audit.Record) bool) error { return t.AuditByActor(hsa(0), fn) }, "")
		}},
	}
	timeOps(b, ops)
}
