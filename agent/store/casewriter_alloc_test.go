package store

import (
	"fmt"
	"strings"
	"testing"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

// TestSealWriterAllocations: a transaction that writes new cases or
// access-log records through the sealing goroutine (casewriter.go)
// allocates for them about what one that puts the same number of ready
// values of their size does. The plain encoding of each goes into a
// buffer the goroutine reuses, the batches that carry them to it are
// reused, and the sealed values are sealed into the buffers the previous
// transaction's values were in (sealedpool.go). Each was garbage after
// every value or every commit: on a backlog of 2 KiB cases about two
// fifths of the bytes the gateway allocated.
func TestSealWriterAllocations(tb *testing.T) {
	if raceEnabled {
		tb.Skip("-race: sync.Pool drops values at random")
	}
	db, _ := testStore(tb)
	c := newCase(1, strings.Repeat("Ont i halsen sedan i tisdags, feber i natt. ", 45))
	rec, _, err := audit.NextMade(audit.Head{Hash: audit.Genesis(testUnit)}, audit.Entry{Time: c.ReceivedAt, Actor: "system", Unit: testUnit,
		Action: string(cases.Receive), CaseID: string(c.ID), Patient: string(c.Patient.PNR), Outcome: audit.Allowed})
	if err != nil {
		tb.Fatal(err)
	}
	const n = 4 * sealBatchLen
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "%08d", i)
	}
	plainCase, err := encodeCase(c)
	if err != nil {
		tb.Fatal(err)
	}
	plainRec, err := rec.Record().MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	for _, w := range []struct {
		bucket string
		job    func(key []byte) sealJob
		plain  int // the length of the value's plain encoding
		own    int // allocations per value not the writer's
	}{
		{bucketCases, func(key []byte) sealJob { return sealJob{bucket: bucketCases, key: key, c: c} }, len(plainCase), 0},
		{bucketAudit, func(key []byte) sealJob { return sealJob{bucket: bucketAudit, key: key, rec: rec} }, len(plainRec), 0},
	} {
		value := make([]byte, sealedExtra+w.plain) // as long as the sealed value
		commit := func(sealed bool) func() {
			return func() {
				if err != nil {
					return
				}
				err = db.Update(ctx, func(ctx cases.Tx) error {
					t := ctx.(*tx)
					bk := t.bucket(w.bucket)
					for _, k := range keys {
						if !sealed {
							if err := bk.Put(k, value); err != nil {
								return err
							}
						} else if err := t.queue(w.job(k)); err != nil {
							return err
						}
					}
					return nil
				})
			}
		}
		ready := testing.AllocsPerRun(10, commit(false))
		sealing := testing.AllocsPerRun(10, commit(true))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Logf("%s: %d values a transaction: %v allocations putting them ready, %v sealing them", w.bucket, n, ready, sealing)
		// The goroutine, its batches' done channels, the list of pooled
		// buffers, the buffers made anew when a collection emptied a
		// pool, bbolt's nodes as values of another length split them.
		if extra, most := sealing-ready, float64(w.own*n+n/3); extra > most {
			tb.Errorf("%s: sealing %d values in a transaction allocates %v more than putting them ready; want at most %v", w.bucket, n, extra, most)
		}
	}
}
