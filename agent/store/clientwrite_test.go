package store

import (
	"log/slog"
	mrand "math/rand/v2"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/casetype"
)

// countClientWrites is the number of client writes kept.
func countClientWrites(t *testing.T, db *DB) int {
	t.Helper()
	n := 0
	err := db.bolt.View(func(btx *bolt.Tx) error {
		return btx.Bucket([]byte(bucketClientWrites)).ForEach(func(k, v []byte) error { n++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestClientWritesPruned: a system's write with its own identifier is
// kept for ServiceConfig.ClientWriteRetention (by the fake clock), so a
// retry within it is answered, not written again; the case service's
// prune (at the sync's next confirmation) drops it after the retention,
// and a retry then is a new write. A store whose client writes predate
// the time index has them indexed at the first prune, not kept forever.
func TestClientWritesPruned(t *testing.T) {
	db, _ := testStore(t)
	clock := clocktest.New(t0)
	svc, err := cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: db, Clock: clock,
		Rand: mrand.NewChaCha8([32]byte{'c', 'w'}), Logger: slog.New(slog.DiscardHandler), ClientWriteRetention: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	sub := fixtureSub(1, t0.Add(-time.Minute))
	if _, err := svc.Receive(t.Context(), sub); err != nil {
		t.Fatal(err)
	}
	sys := cases.IntegrationActor("SE2321000016-9001")
	msg := func(id string) cases.SystemMessage {
		return cases.SystemMessage{ClientID: "urn:journal|" + id, Patient: sub.Patient, Type: casetype.ContactMe,
			Subject: "Kallelse", Text: "Välkommen på kontroll.", Signature: "Journalsystemet"}
	}
	first, _, done, err := svc.SendFromSystem(t.Context(), sys, msg("k-1"))
	if err != nil || done {
		t.Fatalf("the write: %v (done %v)", err, done)
	}
	clock.Advance(29 * 24 * time.Hour)
	if err := svc.ConfirmOutbound(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	again, _, done, err := svc.SendFromSystem(t.Context(), sys, msg("k-1"))
	if err != nil || !done || again.ID != first.ID {
		t.Fatalf("a retry within the retention: %v done %v, case %s want %s", err, done, again.ID, first.ID)
	}
	if _, _, _, err := svc.SendFromSystem(t.Context(), sys, msg("k-2")); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * 24 * time.Hour) // k-1 31 days old, k-2 2 days
	if err := svc.ConfirmOutbound(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if n := countClientWrites(t, db); n != 1 {
		t.Fatalf("%d client writes kept after the retention, want 1 (k-2)", n)
	}
	later, _, done, err := svc.SendFromSystem(t.Context(), sys, msg("k-1"))
	if err != nil || done || later.ID == first.ID {
		t.Fatalf("a retry after the retention: %v done %v, case %s (the first %s): want a new write", err, done, later.ID, first.ID)
	}
	if _, _, done, err := svc.SendFromSystem(t.Context(), sys, msg("k-2")); err != nil || !done {
		t.Fatalf("k-2 within its retention: %v done %v", err, done)
	}

	// Client writes from before the index: indexed at the first prune.
	if err := db.bolt.Update(func(btx *bolt.Tx) error {
		b := btx.Bucket([]byte(bucketClientWritesAt))
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.First() {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(40 * 24 * time.Hour)
	if err := svc.ConfirmOutbound(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if n := countClientWrites(t, db); n != 0 {
		t.Fatalf("%d client writes from before the index kept past the retention", n)
	}
}
