package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

const testUnit = "SE2321000016-TEST"

var ctx = context.Background()

// testStore opens a new store with a new key file in a temp dir.
func testStore(t testing.TB) (*DB, string) {
	t.Helper()
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "kek.key")
	if err := GenerateKeyFile(keyPath, rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	db := openAt(t, dir)
	return db, dir
}

// openAt opens the store in dir with the key file in dir.
func openAt(t testing.TB, dir string) *DB {
	t.Helper()
	kek, err := LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, filepath.Join(dir, "store.db"), kek, Options{Unit: testUnit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// newCase builds a synthetic case of about size bytes of JSON. n makes ids,
// personnummer serials and text distinct.
func newCase(n int, text string) *cases.Case {
	id := cases.ID(fmt.Sprintf("c%025d", n))
	pnr := personnummer.Synthetic(time.Date(1960+n%50, time.Month(1+n%12), 1+n%28, 0, 0, 0, 0, time.UTC), 980+n%20)
	at := t0.Add(time.Duration(n) * time.Minute)
	return &cases.Case{
		ID:         id,
		Unit:       testUnit,
		Type:       casetype.RenewPrescription,
		Patient:    cases.Person{PNR: pnr, Name: fmt.Sprintf("Testperson %d", n)},
		Fields:     []cases.Field{{Name: "medicine", Label: "Läkemedel", Value: "Testmedel 10 mg"}},
		Status:     cases.Received,
		SentAt:     at.Add(-time.Minute),
		ReceivedAt: at,
		DueAt:      at.Add(48 * time.Hour),
		Messages:   []cases.Message{{ID: "m1", Kind: cases.FromPatient, Author: "patient", Text: text, At: at}},
		History:    []cases.Event{{At: at, Actor: "system", Action: cases.Receive, To: cases.Received}},
	}
}

// text2k is filler that makes a case about 2 KiB as JSON.
var text2k = strings.Repeat("Jag behöver förnya mitt recept. ", 56)

func insert(t testing.TB, db *DB, cs ...*cases.Case) {
	t.Helper()
	err := db.Update(ctx, func(tx cases.Tx) error {
		for _, c := range cs {
			if err := tx.Insert(c); err != nil {
				return err
			}
			err := tx.AppendAudit(audit.Entry{Time: c.ReceivedAt, Actor: "system", Unit: testUnit,
				Action: string(cases.Receive), CaseID: string(c.ID), Patient: string(c.Patient.PNR), Outcome: audit.Allowed})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// recordKey returns the key of case id's record in btx; nil if none.
func recordKey(btx *bolt.Tx, id cases.ID) []byte {
	v := btx.Bucket([]byte(bucketCaseIDs)).Get([]byte(id))
	if v == nil {
		return nil
	}
	return recordKeyOf([]byte(id), v)
}

func get(db *DB, id cases.ID) (*cases.Case, error) {
	var c *cases.Case
	err := db.View(ctx, func(tx cases.ReadTx) error {
		var err error
		c, err = tx.Case(id)
		return err
	})
	return c, err
}
