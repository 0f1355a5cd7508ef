package store

import (
	"maps"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

// TestAuditPatientHeadsMoveInBatches: commits of new access-log records
// leave the patient heads (random keys: each move rewrites nearly every
// page of the bucket) alone until the unchained tail reaches
// patientTailLen records, and an extract reads the tail and the chain as
// one, whole and paged, across the boundary.
func TestAuditPatientHeadsMoveInBatches(t *testing.T) {
	db, _ := testStore(t)
	pnrs, _ := auditPopulation(t, db, patientTailLen+100, 30, 5)
	heads := func() map[string]string {
		m := map[string]string{}
		db.bolt.View(func(btx *bolt.Tx) error {
			return btx.Bucket([]byte(bucketAuditPatientHead)).ForEach(func(k, v []byte) error {
				m[string(k)] = string(v)
				return nil
			})
		})
		return m
	}
	before := heads()
	for c := range 3 {
		err := db.Update(ctx, func(tx cases.Tx) error {
			for j := range 1000 {
				p := pnrs[(c*1000+j)%len(pnrs)]
				e := audit.Entry{Time: t0.Add(time.Duration(c*1000+j) * time.Millisecond), Actor: "SE2321000016-S0001",
					Unit: testUnit, Action: string(cases.Read), Patient: string(p), Outcome: audit.Allowed}
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
	if after := heads(); !maps.Equal(before, after) {
		t.Errorf("3 commits of 1000 records moved the patient heads (%d heads before, %d after): each commit rewrites their pages", len(before), len(after))
	}
	want := wantSeqs(t, db, func(e audit.Entry) bool { return e.Patient == string(pnrs[0]) })
	checkPaging(t, db, func(tx cases.ReadTx, before uint64, fn func(audit.Record) bool) error {
		return tx.AuditByPatientDesc(pnrs[0], before, fn)
	}, want)
	var all []uint64
	err := db.View(ctx, func(tx cases.ReadTx) error {
		return tx.AuditByPatient(pnrs[0], func(r audit.Record) bool { all = append(all, r.Seq); return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(all, want) {
		t.Fatalf("AuditByPatient: %d records, want %d", len(all), len(want))
	}
	// patientTailLen more records move the heads, and the extract reads
	// the same.
	var moved bool
	for range 2 {
		err := db.Update(ctx, func(tx cases.Tx) error {
			for j := range patientTailLen / 2 {
				e := audit.Entry{Time: t0, Actor: "SE2321000016-S0001", Unit: testUnit, Action: string(cases.Read),
					Patient: string(pnrs[j%len(pnrs)]), Outcome: audit.Allowed}
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		moved = moved || !maps.Equal(before, heads())
	}
	if !moved {
		t.Error("the heads never moved after patientTailLen more records")
	}
	want = wantSeqs(t, db, func(e audit.Entry) bool { return e.Patient == string(pnrs[0]) })
	checkPaging(t, db, func(tx cases.ReadTx, before uint64, fn func(audit.Record) bool) error {
		return tx.AuditByPatientDesc(pnrs[0], before, fn)
	}, want)
}
