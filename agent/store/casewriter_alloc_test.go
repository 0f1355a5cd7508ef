package store

import (
	"fmt"
	"strings"
	"testing"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

// TestSealWriterAllocations: what the sealing goroutine allocates per
// value is the sealed value bbolt keeps until the commit, and nothing
// more: a case's or an access-log record's plain encoding goes into a
// buffer the goroutine reuses, and the batches that carry values to it
// are reused from one to the next (each was garbage at every 32 values,
// every case's encoding at every case: on a backlog of 2 KiB cases about
// a third of the bytes the gateway allocated).
func TestSealWriterAllocations(tb *testing.T) {
	db, _ := testStore(tb)
	c := newCase(1, strings.Repeat("Ont i halsen sedan i tisdags, feber i natt. ", 45))
	rec := audit.Record{Seq: 1, Entry: audit.Entry{Time: c.ReceivedAt, Actor: "system", Unit: testUnit, Action: string(cases.Receive),
		CaseID: string(c.ID), Patient: string(c.Patient.PNR), Outcome: audit.Allowed}}
	rec.Hash = rec.ComputeHash()
	const n = 4 * sealBatchLen
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "%08d", i)
	}
	err := db.Update(ctx, func(ctx cases.Tx) error {
		t := ctx.(*tx)
		for _, w := range []struct {
			bucket string
			job    func(key []byte) sealJob
			own    int // allocations per value not the writer's: audit.Record.AppendBinary's check of the hash
		}{
			{bucketCases, func(key []byte) sealJob { return sealJob{bucket: bucketCases, key: key, c: c} }, 0},
			{bucketAudit, func(key []byte) sealJob { return sealJob{bucket: bucketAudit, key: key, rec: rec} }, 1},
		} {
			// bbolt's own, putting these keys.
			var err error
			bk, value := t.bucket(w.bucket), make([]byte, 3000)
			puts := testing.AllocsPerRun(10, func() {
				for _, k := range keys {
					if err == nil {
						err = bk.Put(k, value)
					}
				}
			})
			job := w.job
			allocs := testing.AllocsPerRun(10, func() {
				for _, k := range keys {
					if err == nil {
						err = t.queue(job(k))
					}
				}
				if err == nil {
					err = t.putPending()
				}
			})
			if err != nil {
				return err
			}
			tb.Logf("%s: %v allocations for %d values (bbolt's puts %v)", w.bucket, allocs, n, puts)
			// One sealed value each, a little for the hand-over (the
			// batches' done channels, the list of batches sent, a batch
			// made anew when a collection emptied the pool).
			if most := puts + float64((1+w.own)*n+3*n/sealBatchLen+4); allocs > most {
				tb.Errorf("%s: %v allocations for %d values sealed and put (bbolt's puts %v), want at most %v", w.bucket, allocs, n, puts, most)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}
