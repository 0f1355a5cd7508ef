package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/personnummer"
)

// auditPopulation appends n access-log entries across patients patients
// and actors actors: every 20th about patient 0 and every 25th by actor 0,
// so both have many pages. It returns the patients' numbers and the
// actors' ids.
func auditPopulation(t testing.TB, db *DB, n, patients, actors int) ([]personnummer.Personnummer, []string) {
	t.Helper()
	pnrs := make([]personnummer.Personnummer, patients)
	for i := range pnrs {
		pnrs[i] = personnummer.Synthetic(time.Date(1950, 1, 1+i, 0, 0, 0, 0, time.UTC), 980+i%20)
	}
	hsas := make([]string, actors)
	for i := range hsas {
		hsas[i] = fmt.Sprintf("SE2321000016-S%04d", i)
	}
	for i := 0; i < n; i += 5000 {
		err := db.Update(ctx, func(tx cases.Tx) error {
			for j := i; j < min(i+5000, n); j++ {
				e := audit.Entry{Time: t0.Add(time.Duration(j) * time.Second), Actor: hsas[1+j%(actors-1)], Unit: testUnit,
					Action: string(cases.Read), CaseID: fmt.Sprintf("c%025d", j%7000), Outcome: audit.Allowed}
				switch {
				case j%20 == 0:
					e.Patient = string(pnrs[0])
				case j%10 != 3: // some entries name no patient (a list view)
					e.Patient = string(pnrs[1+(j*7)%(patients-1)])
				}
				if j%25 == 0 {
					e.Actor = hsas[0]
				}
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
	return pnrs, hsas
}

type descRead func(tx cases.ReadTx, before uint64, fn func(audit.Record) bool) error

// readPage reads one page of at most size records before before, as the
// service does (one more, to know whether another page follows), and
// counts the records opened.
func readPage(t *testing.T, db *DB, read descRead, before uint64, size int) (recs []audit.Record, next uint64, opened uint64) {
	t.Helper()
	at := db.auditOpened.Load()
	err := db.View(ctx, func(tx cases.ReadTx) error {
		return read(tx, before, func(r audit.Record) bool {
			recs = append(recs, r)
			return len(recs) <= size
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	opened = db.auditOpened.Load() - at
	if len(recs) > size {
		recs = recs[:size]
		next = recs[size-1].Seq
	}
	return recs, next, opened
}

// checkPaging pages through an extract forward (older) and back (newer),
// as the auditor's page does, and checks that each page costs a page,
// that records come newest first, and that the pages cover want (the
// sequence numbers, oldest first) each once, the same both ways.
func checkPaging(t *testing.T, db *DB, read descRead, want []uint64) {
	t.Helper()
	const size = 200
	var pages [][]audit.Record
	var starts []uint64 // the cursor each page was read with
	var got []uint64
	for before := uint64(0); ; {
		recs, next, opened := readPage(t, db, read, before, size)
		if opened > size+1 {
			t.Fatalf("page before %d opened %d records for a page of %d", before, opened, size)
		}
		for i, r := range recs {
			if i > 0 && r.Seq >= recs[i-1].Seq {
				t.Fatalf("page before %d is not newest first: %d after %d", before, r.Seq, recs[i-1].Seq)
			}
			got = append(got, r.Seq)
		}
		pages, starts = append(pages, recs), append(starts, before)
		if next == 0 {
			break
		}
		before = next
	}
	slices.Reverse(got)
	if !slices.Equal(got, want) {
		t.Fatalf("the pages hold %d records (first %v), want %d (first %v)", len(got), got[:min(5, len(got))], len(want), want[:min(5, len(want))])
	}
	for i := len(pages) - 1; i >= 0; i-- { // back to the newest
		recs, _, opened := readPage(t, db, read, starts[i], size)
		if opened > size+1 {
			t.Fatalf("page back before %d opened %d records", starts[i], opened)
		}
		if len(recs) != len(pages[i]) || recs[0].Seq != pages[i][0].Seq || recs[len(recs)-1].Seq != pages[i][len(recs)-1].Seq {
			t.Fatalf("page %d read back differs", i)
		}
	}
}

// wantSeqs lists the sequence numbers of the records that match, oldest
// first, from the whole log.
func wantSeqs(t *testing.T, db *DB, match func(audit.Entry) bool) []uint64 {
	t.Helper()
	var out []uint64
	err := db.View(ctx, func(rtx cases.ReadTx) error {
		t := rtx.(*tx)
		c := t.bucket(bucketAudit).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			r, err := t.auditRecord(k)
			if err != nil {
				return err
			}
			if match(r.Entry) {
				out = append(out, r.Seq)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAuditExtractPages: with 100,000 records across 1,000 patients and
// 40 actors, a page of a patient's or an actor's extract opens a page's
// records (plus the one that says another page follows), newest first, and
// paging forward and back covers each record once.
func TestAuditExtractPages(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 20_000
	}
	db, _ := testStore(t)
	pnrs, hsas := auditPopulation(t, db, n, 1000, 40)
	for _, p := range []personnummer.Personnummer{pnrs[0], pnrs[1], pnrs[999]} {
		t.Run("patient "+string(p[:4]), func(t *testing.T) {
			want := wantSeqs(t, db, func(e audit.Entry) bool { return e.Patient == string(p) })
			checkPaging(t, db, func(tx cases.ReadTx, before uint64, fn func(audit.Record) bool) error {
				return tx.AuditByPatientDesc(p, before, fn)
			}, want)
		})
	}
	for _, a := range []string{hsas[0], hsas[1]} {
		t.Run("actor "+a, func(t *testing.T) {
			want := wantSeqs(t, db, func(e audit.Entry) bool { return e.Actor == a })
			checkPaging(t, db, func(tx cases.ReadTx, before uint64, fn func(audit.Record) bool) error {
				return tx.AuditByActorDesc(a, before, fn)
			}, want)
		})
	}
	t.Run("nobody", func(t *testing.T) {
		other := personnummer.Synthetic(time.Date(2001, 5, 5, 0, 0, 0, 0, time.UTC), 981)
		recs, next, opened := readPage(t, db, func(tx cases.ReadTx, before uint64, fn func(audit.Record) bool) error {
			return tx.AuditByPatientDesc(other, before, fn)
		}, 0, 200)
		if len(recs) != 0 || next != 0 || opened != 0 {
			t.Fatalf("a patient with no records: %d records, next %d, %d opened", len(recs), next, opened)
		}
	})
	t.Run("foreign cursor", func(t *testing.T) {
		// Record 2 is about another patient: a cursor from a tampered form.
		err := db.View(ctx, func(tx cases.ReadTx) error {
			return tx.AuditByPatientDesc(pnrs[0], 2, func(audit.Record) bool { return true })
		})
		if !errors.Is(err, cases.ErrInvalidInput) {
			t.Fatalf("another patient's record as the cursor: %v, want ErrInvalidInput", err)
		}
	})
}

// TestAuditPatientChainDamaged: a link edited to point at a newer record
// (a loop) or at another patient's is reported, not followed.
func TestAuditPatientChainDamaged(t *testing.T) {
	for _, tt := range []struct {
		name string
		to   func(own, newer uint64) uint64
	}{
		{"to itself", func(own, _ uint64) uint64 { return own }},
		{"to a newer record", func(own, _ uint64) uint64 { return own + 20 }},
		{"to another patient's, older", func(own, _ uint64) uint64 { return own - 1 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := testStore(t)
			pnrs, _ := auditPopulation(t, db, 1000, 20, 5)
			want := wantSeqs(t, db, func(e audit.Entry) bool { return e.Patient == string(pnrs[0]) })
			own := want[len(want)/2] // every 20th record is pnrs[0]'s
			err := db.bolt.Update(func(btx *bolt.Tx) error {
				pb := btx.Bucket([]byte(bucketAuditPatient))
				v := slices.Clone(pb.Get(seqKey(own)))
				return pb.Put(seqKey(own), append(v[:blindLen], seqKey(tt.to(own, own+1))...))
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, before := range []uint64{0, own} {
				err = db.View(ctx, func(tx cases.ReadTx) error {
					return tx.AuditByPatientDesc(pnrs[0], before, func(audit.Record) bool { return true })
				})
				if err == nil || !strings.Contains(err.Error(), "chain is broken") {
					t.Errorf("before %d: %v, want a broken chain", before, err)
				}
			}
		})
	}
}

// TestAuditPatientChainBackfill: a store made before the chain (index
// values with the blinded number only, no heads) gets it at its first
// open, in batches, and its extracts then page as a new store's do.
func TestAuditPatientChainBackfill(t *testing.T) {
	db, dir := testStore(t)
	pnrs, _ := auditPopulation(t, db, 25_000, 300, 10)
	want := wantSeqs(t, db, func(e audit.Entry) bool { return e.Patient == string(pnrs[0]) })
	// Undo the chain, as a store written by the clinicgw before it.
	err := db.bolt.Update(func(btx *bolt.Tx) error {
		pb := btx.Bucket([]byte(bucketAuditPatient))
		var keys, vals [][]byte
		pb.ForEach(func(k, v []byte) error {
			keys, vals = append(keys, slices.Clone(k)), append(vals, slices.Clone(v[:blindLen]))
			return nil
		})
		for i := range keys {
			if err := pb.Put(keys[i], vals[i]); err != nil {
				return err
			}
		}
		if err := btx.DeleteBucket([]byte(bucketAuditPatientHead)); err != nil {
			return err
		}
		return btx.Bucket([]byte(bucketMeta)).Delete(keyAuditPatientUpTo)
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openAt(t, dir)
	checkPaging(t, db, func(tx cases.ReadTx, before uint64, fn func(audit.Record) bool) error {
		return tx.AuditByPatientDesc(pnrs[0], before, fn)
	}, want)
	// New records chain on to the back-filled ones.
	err = db.Update(ctx, func(tx cases.Tx) error {
		return tx.AppendAudit(audit.Entry{Time: t0, Actor: "SE2321000016-S0001", Unit: testUnit, Action: string(cases.Read),
			Patient: string(pnrs[0]), Outcome: audit.Allowed})
	})
	if err != nil {
		t.Fatal(err)
	}
	var all []audit.Record
	db.View(ctx, func(tx cases.ReadTx) error {
		return tx.AuditByPatient(pnrs[0], func(r audit.Record) bool { all = append(all, r); return true })
	})
	if len(all) != len(want)+1 || all[0].Seq != want[0] || all[len(all)-1].Seq != 25_001 {
		t.Fatalf("oldest first after the back-fill: %d records, want %d", len(all), len(want)+1)
	}
}
