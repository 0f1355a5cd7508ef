//go:build linux

package store

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/personnummer"
)

// BenchmarkAuditReceive: what a backlog's access-log entries (the
// system's receive, one per case) cost the goroutine that runs the
// transaction, commit left out: 850 appends per transaction, as the
// uplink commits, on a log of 20,000 such entries, case ids made a
// thousand to the millisecond (random order within it), 20,000 patients.
// Each round rolls back, so every round appends onto the same log.
// Reports the CPU of that goroutine's locked thread per entry (sealing,
// on another goroutine, left out), which load on the machine does not
// inflate as it does wall time.
func BenchmarkAuditReceive(b *testing.B) {
	db, _ := testStore(b)
	rnd := rand.NewChaCha8([32]byte{9})
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	n := 0
	entries := func(count int) []audit.Entry {
		at = at.Add(time.Second)
		out := make([]audit.Entry, count)
		for i := range out {
			id, err := caseid.New(at, rnd)
			if err != nil {
				b.Fatal(err)
			}
			p := n % 20000
			n++
			out[i] = audit.Entry{Time: at, Actor: "system", Unit: testUnit, Action: string(cases.Receive), CaseID: string(id),
				Patient: string(personnummer.Synthetic(time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, p/20), 980+p%20)), Outcome: audit.Allowed}
		}
		return out
	}
	for range 20 {
		es := entries(1000)
		if err := db.Update(ctx, func(tx cases.Tx) error {
			for _, e := range es {
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	const perTx = 850
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cpu time.Duration
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		es := entries(perTx)
		btx, err := db.bolt.Begin(true)
		if err != nil {
			b.Fatal(err)
		}
		t := db.newTx(btx)
		b.StartTimer()
		t0 := threadCPU(b)
		for _, e := range es {
			if err := t.AppendAudit(e); err != nil {
				b.Fatal(err)
			}
		}
		if err := t.putPending(); err != nil {
			b.Fatal(err)
		}
		cpu += threadCPU(b) - t0
		b.StopTimer()
		t.stopWriter()
		btx.Rollback()
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*perTx), "tx-cpu-ns/entry")
}

// BenchmarkAuditChain: chaining a tail of 16,384 access-log records of
// 20,000 patients (drawn at random, so some twice) onto heads of all of
// them, as a backlog's commit does when the tail is due; the CPU of the
// transaction's locked thread per record, the commit left out.
func BenchmarkAuditChain(b *testing.B) {
	db, _ := testStore(b)
	const patients, tail, upTo = 20000, 16384, 100000
	rnd := rand.New(rand.NewChaCha8([32]byte{10}))
	blinded := make([][]byte, patients)
	for p := range blinded {
		blinded[p] = make([]byte, blindLen)
		for i := range blinded[p] {
			blinded[p][i] = byte(rnd.IntN(256))
		}
	}
	err := db.bolt.Update(func(btx *bolt.Tx) error {
		heads, pb := btx.Bucket([]byte(bucketAuditPatientHead)), btx.Bucket([]byte(bucketAuditPatient))
		for p, bl := range blinded {
			if err := heads.Put(bl, seqKey(uint64(p+1))); err != nil {
				return err
			}
		}
		for s := uint64(upTo + 1); s <= upTo+tail; s++ {
			if err := pb.Put(seqKey(s), blinded[rnd.IntN(patients)]); err != nil {
				return err
			}
		}
		return btx.Bucket([]byte(bucketMeta)).Put(keyAuditPatientUpTo, seqKey(upTo))
	})
	if err != nil {
		b.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cpu time.Duration
	for b.Loop() {
		btx, err := db.bolt.Begin(true)
		if err != nil {
			b.Fatal(err)
		}
		t := db.newTx(btx)
		t.head = audit.Head{Seq: upTo + tail}
		t0 := threadCPU(b)
		if err := t.chainTail(); err != nil {
			b.Fatal(err)
		}
		cpu += threadCPU(b) - t0
		b.StopTimer()
		btx.Rollback()
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*tail), "tx-cpu-ns/record")
}
