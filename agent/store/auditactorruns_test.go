package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

// TestBacklogAuditActorEntriesPerCommit: the access-log records of a
// backlog's arrivals are all the system's, one after another: the index
// by actor keeps them as one run per commit (auditactor.go), not one
// entry per record, each a cursor search from the root on the one
// goroutine that applies a backlog and bytes its commit writes.
func TestBacklogAuditActorEntriesPerCommit(t *testing.T) {
	const n, perCommit = 3000, 750
	e := appliedBacklog(t, perCommit, n/1000)
	var entries int
	err := e.db.bolt.View(func(btx *bolt.Tx) error {
		entries = btx.Bucket([]byte(bucketAuditActor)).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	commits := (n + perCommit - 1) / perCommit
	t.Logf("idx-audit-actor: %d entries for %d records in %d commits", entries, n, commits)
	if entries > commits {
		t.Errorf("the index by actor holds %d entries for %d records of the system in %d commits; want at most one per commit", entries, n, commits)
	}
	want := wantSeqs(t, e.db, func(en audit.Entry) bool { return en.Actor == "system" })
	if len(want) != n {
		t.Fatalf("%d records of the system, want %d", len(want), n)
	}
	checkPaging(t, e.db, func(tx cases.ReadTx, before uint64, fn func(audit.Record) bool) error {
		return tx.AuditByActorDesc("system", before, fn)
	}, want)
}

// actorRunsPopulation appends n records whose actors come in runs of 1 to
// 40 records, interleaved, with transactions of 997 records that cut
// runs; it returns the actors.
func actorRunsPopulation(t *testing.T, db *DB, n int) []string {
	t.Helper()
	actors := []string{"system", "patient", "SE2321000016-S0001", "SE2321000016-S00011", "SE2321000016-S0002"}
	rnd := rand.New(rand.NewPCG(1, 2))
	actor, left := "", 0
	for i := 0; i < n; i += 997 {
		err := db.Update(ctx, func(tx cases.Tx) error {
			for j := i; j < min(i+997, n); j++ {
				if left == 0 {
					actor, left = actors[rnd.IntN(len(actors))], 1+rnd.IntN(40)
				}
				left--
				e := audit.Entry{Time: t0, Actor: actor, Unit: testUnit, Action: string(cases.Read),
					CaseID: fmt.Sprintf("c%025d", j%300), Outcome: audit.Allowed}
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return actors
}

// TestAuditActorRuns: an actor's extract, oldest first whole and newest
// first in pages from any record, gives exactly the actor's records when
// the index keeps runs of them, whatever the runs' lengths and where
// transactions cut them, and an actor whose id extends another's is
// another actor.
func TestAuditActorRuns(t *testing.T) {
	db, _ := testStore(t)
	actors := actorRunsPopulation(t, db, 6000)
	for _, a := range actors {
		t.Run(a, func(t *testing.T) {
			want := wantSeqs(t, db, func(e audit.Entry) bool { return e.Actor == a })
			var got []uint64
			err := db.View(ctx, func(tx cases.ReadTx) error {
				return tx.AuditByActor(a, func(r audit.Record) bool { got = append(got, r.Seq); return true })
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("oldest first: %d records (first %v), want %d (first %v)", len(got), got[:min(5, len(got))], len(want), want[:min(5, len(want))])
			}
			checkPaging(t, db, func(tx cases.ReadTx, before uint64, fn func(audit.Record) bool) error {
				return tx.AuditByActorDesc(a, before, fn)
			}, want)
			// From every record: the page starts right before it.
			for _, before := range want[:min(60, len(want))] {
				recs, _, _ := readPage(t, db, func(tx cases.ReadTx, before uint64, fn func(audit.Record) bool) error {
					return tx.AuditByActorDesc(a, before, fn)
				}, before, 3)
				i := slices.Index(want, before)
				exp := slices.Clone(want[max(0, i-3):i])
				slices.Reverse(exp)
				var seqs []uint64
				for _, r := range recs {
					seqs = append(seqs, r.Seq)
				}
				if !slices.Equal(seqs, exp) {
					t.Fatalf("page before %d: %v, want %v", before, seqs, exp)
				}
			}
		})
	}
}

// TestAuditActorRunDamaged: a run in the index by actor that is
// malformed, or that spans another actor's record, is reported, not
// followed.
func TestAuditActorRunDamaged(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value func(first uint64) []byte
	}{
		{"short value", func(uint64) []byte { return []byte{1, 2, 3} }},
		{"ends before it starts", func(first uint64) []byte { return seqKey(first - 1) }},
		{"spans another actor's record", func(first uint64) []byte { return seqKey(first + 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := testStore(t)
			err := db.Update(ctx, func(tx cases.Tx) error {
				for _, a := range []string{"SE2321000016-S0001", "SE2321000016-S0002"} {
					if err := tx.AppendAudit(audit.Entry{Time: t0, Actor: a, Unit: testUnit, Action: string(cases.Read), Outcome: audit.Allowed}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var first uint64
			err = db.bolt.Update(func(btx *bolt.Tx) error {
				b := btx.Bucket([]byte(bucketAuditActor))
				prefix := catKey([]byte("SE2321000016-S0001"), sep)
				k, _ := b.Cursor().Seek(prefix)
				first, _ = seqOf(k[len(prefix):])
				return b.Put(k, tc.value(first))
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, read := range []func(tx cases.ReadTx) error{
				func(tx cases.ReadTx) error {
					return tx.AuditByActor("SE2321000016-S0001", func(audit.Record) bool { return true })
				},
				func(tx cases.ReadTx) error {
					return tx.AuditByActorDesc("SE2321000016-S0001", 0, func(audit.Record) bool { return true })
				},
			} {
				if err := db.View(ctx, read); !errors.Is(err, ErrTampered) {
					t.Errorf("read through the damaged run: %v, want ErrTampered", err)
				}
			}
		})
	}
}
