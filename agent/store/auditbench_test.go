package store

import (
	"fmt"
	"testing"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

// BenchmarkAuditView: the auditor's page's chain check at 10k and 100k
// access-log entries, ten new entries before each view: from the last
// checkpoint (VerifyAuditRecent, what the page does) and the whole log
// (VerifyAudit, the command's and the nightly job's). The recent check's
// cost should not grow with the log.
func BenchmarkAuditView(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		db, _ := testStore(b)
		for i := 0; i < n; i += 5000 {
			err := db.Update(ctx, func(tx cases.Tx) error {
				for j := i; j < min(i+5000, n); j++ {
					if err := tx.AppendAudit(benchEntry(j)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		for _, mode := range []string{"recent", "full"} {
			check := db.VerifyAuditRecent
			if mode == "full" {
				check = db.VerifyAudit
			}
			b.Run(fmt.Sprintf("entries=%d/%s", n, mode), func(b *testing.B) {
				for i := range b.N {
					b.StopTimer()
					err := db.Update(ctx, func(tx cases.Tx) error {
						for j := range 10 {
							if err := tx.AppendAudit(benchEntry(n + i*10 + j)); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					if _, err := check(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func benchEntry(j int) audit.Entry {
	return audit.Entry{Time: t0, Actor: "SE2321000016-C001", Unit: testUnit, Action: string(cases.Read),
		CaseID: fmt.Sprintf("c%025d", j%5000), Patient: "197503149879", Outcome: audit.Allowed}
}
