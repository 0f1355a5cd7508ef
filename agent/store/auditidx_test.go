package store

import (
	"fmt"
	"testing"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

// TestAuditIndexPutSorted: the access log's actor and case index keys of
// a transaction are put in key order, once its appends are done, not one
// by one in the order of the log (a backlog's case ids are ordered only
// to the millisecond: put in log order, each landed in the middle of a
// node and bbolt moved the entries after it). A read in the same
// transaction still finds every record through both indexes.
func TestAuditIndexPutSorted(t *testing.T) {
	db, _ := testStore(t)
	const n = 40
	id := func(i int) cases.ID { return cases.ID(fmt.Sprintf("01JDQ4TESTCASE%04d", n-i)) } // descending
	err := db.Update(ctx, func(ctx cases.Tx) error {
		tx := ctx.(*tx)
		for i := range n {
			if err := tx.AppendAudit(audit.Entry{Time: t0, Actor: "system", Unit: testUnit,
				Action: string(cases.Receive), CaseID: string(id(i)), Outcome: audit.Allowed}); err != nil {
				return err
			}
		}
		for _, b := range []string{bucketAuditCase, bucketAuditActor} {
			got := 0
			c := tx.bucket(b).Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				got++
			}
			if got != 0 {
				t.Errorf("%s holds %d keys before the transaction's appends are done; want them put together, sorted", b, got)
			}
		}
		for i := range n {
			var got []uint64
			if err := tx.auditOfCase(id(i), func(r audit.Record) bool { got = append(got, r.Seq); return true }); err != nil {
				return err
			}
			if len(got) != 1 || got[0] != uint64(i+1) {
				t.Errorf("case %s in the same transaction: records %v, want [%d]", id(i), got, i+1)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(ctx, func(rtx cases.ReadTx) error {
		var seqs []uint64
		rtx.AuditByActor("system", func(r audit.Record) bool { seqs = append(seqs, r.Seq); return true })
		if len(seqs) != n {
			t.Errorf("by actor after the commit: %d records, want %d", len(seqs), n)
		}
		for i := range n {
			var got []uint64
			rtx.(*tx).auditOfCase(id(i), func(r audit.Record) bool { got = append(got, r.Seq); return true })
			if len(got) != 1 || got[0] != uint64(i+1) {
				t.Errorf("case %s after the commit: records %v, want [%d]", id(i), got, i+1)
			}
		}
		return nil
	})
}
