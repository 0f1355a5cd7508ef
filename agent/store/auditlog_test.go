package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

func TestAuditQueriesAndVerify(t *testing.T) {
	db, _ := testStore(t)
	a, b := newCase(1, "a"), newCase(2, "b")
	insert(t, db, a, b)
	err := db.Update(ctx, func(tx cases.Tx) error {
		return tx.AppendAudit(audit.Entry{Time: t0, Actor: "SE2321000016-DOC1", Unit: testUnit,
			Action: string(cases.Read), CaseID: string(a.ID), Patient: string(a.Patient.PNR), Outcome: audit.Allowed})
	})
	if err != nil {
		t.Fatal(err)
	}
	var byPatient, byActor []audit.Record
	db.View(ctx, func(tx cases.ReadTx) error {
		tx.AuditByPatient(a.Patient.PNR, func(r audit.Record) bool { byPatient = append(byPatient, r); return true })
		tx.AuditByActor("SE2321000016-DOC1", func(r audit.Record) bool { byActor = append(byActor, r); return true })
		return nil
	})
	if len(byPatient) != 2 || byPatient[0].Entry.Action != "receive" || byPatient[1].Entry.Action != "read" {
		t.Fatalf("by patient: %+v", byPatient)
	}
	if len(byActor) != 1 || byActor[0].Seq != 3 {
		t.Fatalf("by actor: %+v", byActor)
	}
	rep, err := db.VerifyAudit(ctx)
	if err != nil || rep.Entries != 3 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func TestAuditInvalidEntryWritesNothing(t *testing.T) {
	db, _ := testStore(t)
	c := newCase(1, "a")
	err := db.Update(ctx, func(tx cases.Tx) error {
		if err := tx.Insert(c); err != nil {
			return err
		}
		return tx.AppendAudit(audit.Entry{Time: t0, Actor: "evil\nforged line", Unit: testUnit, Action: "read", Outcome: audit.Allowed})
	})
	if err == nil {
		t.Fatal("an entry with a newline in the actor was accepted")
	}
	if _, err := get(db, c.ID); !errors.Is(err, cases.ErrNotFound) {
		t.Fatalf("the case of the failed transaction was stored: %v", err)
	}
}

// TestAuditTamperDetected edits the access log behind the store's back and
// expects VerifyAudit to fail, naming the kind of damage.
func TestAuditTamperDetected(t *testing.T) {
	tests := []struct {
		name   string
		kind   audit.ErrorKind
		tamper func(t *testing.T, btx *bolt.Tx)
	}{
		{"flip a byte", audit.Altered, func(t *testing.T, btx *bolt.Tx) {
			b := btx.Bucket([]byte(bucketAudit))
			v := bytes.Clone(b.Get(seqKey(5)))
			v[30] ^= 1
			b.Put(seqKey(5), v)
		}},
		{"delete one", audit.Missing, func(t *testing.T, btx *bolt.Tx) {
			btx.Bucket([]byte(bucketAudit)).Delete(seqKey(5))
		}},
		{"swap two", audit.Altered, func(t *testing.T, btx *bolt.Tx) {
			b := btx.Bucket([]byte(bucketAudit))
			v4, v5 := bytes.Clone(b.Get(seqKey(4))), bytes.Clone(b.Get(seqKey(5)))
			b.Put(seqKey(4), v5)
			b.Put(seqKey(5), v4)
		}},
		{"truncate the tail", audit.Truncated, func(t *testing.T, btx *bolt.Tx) {
			b := btx.Bucket([]byte(bucketAudit))
			for s := uint64(8); s <= 10; s++ {
				b.Delete(seqKey(s))
			}
		}},
		{"truncate the tail and roll the head back", audit.Truncated, func(t *testing.T, btx *bolt.Tx) {
			b := btx.Bucket([]byte(bucketAudit))
			for s := uint64(8); s <= 10; s++ {
				b.Delete(seqKey(s))
			}
			meta := btx.Bucket([]byte(bucketMeta))
			meta.Put(keyAuditHead, savedHead)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := testStore(t)
			for i := range 10 {
				insert(t, db, newCase(i, "x"))
				if i == 6 {
					db.bolt.View(func(btx *bolt.Tx) error {
						savedHead = bytes.Clone(btx.Bucket([]byte(bucketMeta)).Get(keyAuditHead))
						return nil
					})
				}
			}
			if _, err := db.VerifyAudit(ctx); err != nil { // signs a checkpoint at 10
				t.Fatal(err)
			}
			// Tampered under the open store: a record that no longer opens
			// makes Open refuse the file (TestOpenRefusesDamage).
			db.bolt.Update(func(btx *bolt.Tx) error { tt.tamper(t, btx); return nil })
			_, err := db.VerifyAudit(ctx)
			var ce *audit.ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *audit.ChainError", err)
			}
			if ce.Kind != tt.kind {
				t.Fatalf("kind %v, want %v (%v)", ce.Kind, tt.kind, err)
			}
			t.Logf("detected: %v", err)
		})
	}
}

var savedHead []byte

// TestAuditOfCasesIndex: the archive finds a case's access-log records
// through the index by case, also records without a patient; a store made
// before the index (or written by an older clinicgw after a downgrade)
// gets the missing entries at open.
func TestAuditOfCasesIndex(t *testing.T) {
	db, dir := testStore(t)
	var all []*cases.Case
	for i := range 30 {
		all = append(all, newCase(i, "text"))
	}
	insert(t, db, all...) // one "receive" record each, with the patient
	err := db.Update(ctx, func(tx cases.Tx) error {
		for i, c := range all[:10] {
			e := audit.Entry{Time: t0, Actor: "SE2321000016-DOC1", Unit: testUnit, Action: string(cases.Read), CaseID: string(c.ID), Outcome: audit.Allowed}
			if i%2 == 0 {
				e.Patient = string(c.Patient.PNR)
			}
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return tx.AppendAudit(audit.Entry{Time: t0, Actor: "SE2321000016-DOC1", Unit: testUnit, Action: "login", Outcome: audit.Allowed})
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := []cases.ID{all[0].ID, all[1].ID, all[29].ID}
	check := func(db *DB, when string) {
		t.Helper()
		got, err := db.AuditOfCases(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []int{2, 2, 1} {
			recs := got[ids[i]]
			if len(recs) != want {
				t.Errorf("%s: case %d has %d records, want %d", when, i, len(recs), want)
			}
			for j, r := range recs {
				if r.Entry.CaseID != string(ids[i]) || (j > 0 && r.Seq <= recs[j-1].Seq) {
					t.Errorf("%s: case %d: record %d is %+v", when, i, j, r)
				}
			}
		}
	}
	check(db, "as written")
	db.Close()

	// A store from before the index: no bucket, no mark.
	rawUpdate(t, dir, func(btx *bolt.Tx) error {
		if err := btx.DeleteBucket([]byte(bucketAuditCase)); err != nil {
			return err
		}
		return btx.Bucket([]byte(bucketMeta)).Delete(keyAuditCaseUpTo)
	})
	db = openAt(t, dir)
	check(db, "indexed at open")
	db.Close()

	// An older clinicgw appended records 21… without indexing them.
	rawUpdate(t, dir, func(btx *bolt.Tx) error {
		b := btx.Bucket([]byte(bucketAuditCase))
		var drop [][]byte
		b.ForEach(func(k, _ []byte) error {
			if binary.BigEndian.Uint64(k[len(k)-8:]) > 20 {
				drop = append(drop, bytes.Clone(k))
			}
			return nil
		})
		for _, k := range drop {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return btx.Bucket([]byte(bucketMeta)).Put(keyAuditCaseUpTo, seqKey(20))
	})
	db = openAt(t, dir)
	check(db, "after a downgrade")
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyAuditRecent (issue 18, item 2): a view checks what was logged
// since the last signed checkpoint and moves the checkpoint on; damage
// after it is found there, damage before it only by the full check.
func TestVerifyAuditRecent(t *testing.T) {
	db, _ := testStore(t)
	for i := range 10 {
		insert(t, db, newCase(i, "x"))
	}
	// No checkpoint yet: the whole log, and a checkpoint at 10.
	if rep, err := db.VerifyAuditRecent(ctx); err != nil || rep.Entries != 10 || rep.Head.Seq != 10 {
		t.Fatalf("first check: %+v, %v; want 10 entries to 10", rep, err)
	}
	for i := 10; i < 13; i++ {
		insert(t, db, newCase(i, "x"))
	}
	if rep, err := db.VerifyAuditRecent(ctx); err != nil || rep.Entries != 3 || rep.Head.Seq != 13 {
		t.Fatalf("after 3 more: %+v, %v; want 3 entries checked to 13", rep, err)
	}
	if rep, err := db.VerifyAuditRecent(ctx); err != nil || rep.Entries != 0 || rep.Head.Seq != 13 {
		t.Fatalf("nothing new: %+v, %v; want 0 entries checked, head 13", rep, err)
	}
	flip := func(seq uint64) {
		db.bolt.Update(func(btx *bolt.Tx) error {
			b := btx.Bucket([]byte(bucketAudit))
			v := bytes.Clone(b.Get(seqKey(seq)))
			v[30] ^= 1
			return b.Put(seqKey(seq), v)
		})
	}
	// Damage before the checkpoint (13): the view's check passes it by,
	// the full check finds it.
	flip(5)
	if _, err := db.VerifyAuditRecent(ctx); err != nil {
		t.Fatalf("damage before the checkpoint, recent check: %v (want nil: it is the full check's)", err)
	}
	if c, ok, err := db.LastFullAuditCheck(ctx); err != nil || !ok || c.Error != "" || c.Entries != 10 {
		t.Fatalf("the last full check kept: %+v, %v, %v; want the first check's 10 entries, no error", c, ok, err)
	}
	var ce *audit.ChainError
	if _, err := db.VerifyAudit(ctx); !errors.As(err, &ce) || ce.Seq != 5 {
		t.Fatalf("full check after damage at 5: %v", err)
	}
	if c, ok, err := db.LastFullAuditCheck(ctx); err != nil || !ok || !strings.Contains(c.Error, "entry 5") || c.Entries != 4 {
		t.Fatalf("the last full check kept: %+v, %v, %v; want the break at entry 5 after 4 entries", c, ok, err)
	}
	flip(5) // back
	// Damage after the checkpoint: the view's check finds it.
	insert(t, db, newCase(13, "x"))
	insert(t, db, newCase(14, "x"))
	flip(15)
	if _, err := db.VerifyAuditRecent(ctx); !errors.As(err, &ce) || ce.Seq != 15 || ce.Kind != audit.Altered {
		t.Fatalf("damage at 15 after the checkpoint at 13: %v", err)
	}
	flip(15)
	// The log cut back below the checkpoint, head and all.
	db.bolt.View(func(btx *bolt.Tx) error {
		savedHead = bytes.Clone(btx.Bucket([]byte(bucketMeta)).Get(keyAuditHead))
		return nil
	})
	if _, err := db.VerifyAuditRecent(ctx); err != nil { // checkpoint at 15
		t.Fatal(err)
	}
	db.bolt.Update(func(btx *bolt.Tx) error {
		btx.Bucket([]byte(bucketAudit)).Delete(seqKey(15))
		return btx.Bucket([]byte(bucketMeta)).Put(keyAuditHead, savedHead) // head at 15 still…
	})
	if _, err := db.VerifyAuditRecent(ctx); !errors.As(err, &ce) || ce.Kind != audit.Truncated {
		t.Fatalf("record 15 deleted after the checkpoint at 15: %v, want Truncated", err)
	}
}
