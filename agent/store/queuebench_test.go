package store

import (
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
)

// queueGroups are the staff groups of BenchmarkQueue's unit.
var queueGroups = []string{"lakare", "sjukskoterskor", "psykologer", "fysioterapeuter", "arbetsterapeuter"}

// staticGroups is a GroupSource: every clinician is in every group.
type staticGroups struct{}

func (staticGroups) GroupsOf(string) []string { return queueGroups }
func (staticGroups) GroupExists(string) bool  { return true }

// BenchmarkQueue: a group's queue page (cases.Service.Queue with its
// access-log entry) on a store of mostly closed history, sizes as
// BenchmarkLists (CLINICGW_LIST_CASES): 98% answered or closed, the open
// 2% received and spread over five groups' queues and the inbox. "queue"
// reads through the queue index (queueidx.go); "queue-before" is the same
// page as the received list would give it without the index: the status
// index walked, every received case decoded and its group compared. Both
// in one run, so their ratio is a figure.
func BenchmarkQueue(b *testing.B) {
	for _, n := range listBenchSizes() {
		b.Run(fmt.Sprintf("cases=%d", n), func(b *testing.B) { benchQueue(b, n) })
	}
}

func benchQueue(b *testing.B, n int) {
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
	for i := 0; i < n; i += 1000 {
		cs := benchCases(i, min(1000, n-i))
		err := db.Update(ctx, func(tx cases.Tx) error {
			for j, c := range cs {
				k := i + j
				c.Status, c.Assignee = cases.Received, ""
				if k < n*98/100 {
					c.Status, c.Assignee = []cases.Status{cases.Answered, cases.Closed}[k%2], "SE2321000016-C001"
				}
				if g := k % (len(queueGroups) + 1); g < len(queueGroups) {
					c.Group = queueGroups[g]
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
	svc, err := cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: db, Groups: staticGroups{},
		Clock: clocktest.New(t0.Add(time.Duration(n+60) * time.Second)), Rand: mrand.NewChaCha8([32]byte{'q'}),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	clin := cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-C001", Roles: []cases.Role{cases.Clinician}}
	const page = 51 // what the queue page asks for
	group := queueGroups[0]
	ops := []benchOp{
		{"queue", func() int { return len(need(svc.Queue(ctx, clin, group, "", page))) }},
		{"queue-before", func() int {
			var out int
			err := db.Shared(ctx, func(tx cases.Tx) error {
				out = 0
				var lerr error
				err := tx.Scan(cases.ByStatus, []string{string(cases.Received)}, cases.Walk{}, func(id cases.ID) bool {
					c, err := tx.Case(id)
					if err != nil {
						lerr = err
						return false
					}
					if c.Group == group && c.Assignee == "" {
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
				return tx.AppendAudit(audit.Entry{Time: t0, Actor: clin.Name(), Unit: testUnit, Action: string(cases.List), Outcome: audit.Allowed})
			})
			if err != nil {
				b.Fatal(err)
			}
			return out
		}},
	}
	timeOps(b, ops)
}
