package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// TestPurgeResealRetireCompact walks a case's end (DP3): a purge is all
// or nothing and waits for the outbox; after rotation, reseal, retirement
// of the old term and compaction (by Compact, with the store closed, or by
// the next Open after terms were retired while it was open), the purged
// cases' ciphertext and the old
// term's wrapped key are gone from the file, while every remaining case
// and the access log read as before.
func TestPurgeResealRetireCompact(t *testing.T) {
	t.Run("Compact", func(t *testing.T) {
		purgeResealRetire(t, func(t *testing.T, _, path string) {
			if err := Compact(ctx, path); err != nil {
				t.Fatal(err)
			}
		})
	})
	// The service retires terms while the store is open (after an archive
	// run): the next Open compacts.
	t.Run("next Open", func(t *testing.T) {
		purgeResealRetire(t, func(t *testing.T, dir, path string) {
			before := fileSize(path)
			openAt(t, dir).Close()
			if after := fileSize(path); after >= before {
				t.Errorf("open did not compact: %d → %d bytes", before, after)
			}
			db := openAt(t, dir)
			db.bolt.View(func(btx *bolt.Tx) error {
				if btx.Bucket([]byte(bucketMeta)).Get(keyCompact) != nil {
					t.Error("compaction still pending after it ran")
				}
				return nil
			})
			db.Close()
		})
	})
}

func purgeResealRetire(t *testing.T, compact func(t *testing.T, dir, path string)) {
	db, dir := testStore(t)
	var all []*cases.Case
	for i := range 400 {
		all = append(all, newCase(i, fmt.Sprintf("KANARIE-LIVSCYKEL-%03d ", i)+text2k))
	}
	insert(t, db, all...)
	var purge []cases.ID
	for _, c := range all[:200] {
		purge = append(purge, c.ID)
	}
	var oldSealed [][]byte
	var oldWrapped []byte
	err := db.bolt.View(func(btx *bolt.Tx) error {
		for _, id := range purge {
			oldSealed = append(oldSealed, slices.Clone(btx.Bucket([]byte(bucketCases)).Get(recordKey(btx, id))))
		}
		kr, err := loadKeyring(btx.Bucket([]byte(bucketMeta)))
		if err == nil {
			oldWrapped = slices.Clone(kr.Terms[0].Wrapped)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	yes := func(*cases.Case) error { return nil }

	// A change of one of them still waits for the central store: nothing goes.
	err = db.Update(ctx, func(tx cases.Tx) error {
		return tx.Enqueue(cases.Outbound{Key: "k1", CaseID: purge[1], Kind: cases.OutboundStatus, At: t0, Status: cases.Closed})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PurgeCases(ctx, purge, yes); !errors.Is(err, ErrPendingOutbound) {
		t.Fatalf("purge with a pending change: %v", err)
	}
	if _, err := get(db, purge[0]); err != nil {
		t.Fatalf("a refused purge removed a case: %v", err)
	}
	if err := db.Update(ctx, func(tx cases.Tx) error { return tx.Dequeue("k1") }); err != nil {
		t.Fatal(err)
	}
	// The archive refuses one: nothing goes.
	notExported := errors.New("not exported")
	if _, err := db.PurgeCases(ctx, purge, func(c *cases.Case) error {
		if c.ID == purge[2] {
			return notExported
		}
		return nil
	}); !errors.Is(err, notExported) {
		t.Fatalf("purge refused by allow: %v", err)
	}
	if _, err := get(db, purge[0]); err != nil {
		t.Fatalf("a refused purge removed a case: %v", err)
	}
	if n, err := db.PurgeCases(ctx, purge, yes); err != nil || n != len(purge) {
		t.Fatalf("purged %d of %d: %v", n, len(purge), err)
	}
	// Purged again (a run stopped before it noted the purge): the cases
	// already gone are skipped, nothing fails.
	if n, err := db.PurgeCases(ctx, purge, yes); err != nil || n != 0 {
		t.Fatalf("purge of cases already gone: %d, %v", n, err)
	}
	// Right after the purge its freed pages still hold the ciphertext:
	// only a retired key makes it unreadable, only compaction removes it.
	path := filepath.Join(dir, "store.db")
	afterPurge, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lingering := 0
	for _, s := range oldSealed {
		if bytes.Contains(afterPurge, s) {
			lingering++
		}
	}
	t.Logf("after the purge: %d of %d purged ciphertexts still in the file", lingering, len(oldSealed))
	if lingering == 0 {
		t.Fatal("no purged ciphertext lingers in free pages after the purge: the test proves nothing")
	}
	for _, id := range purge {
		if _, err := get(db, id); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("purged case %s: %v", id, err)
		}
	}
	err = db.View(ctx, func(tx cases.ReadTx) error {
		found := 0
		for _, idx := range []struct {
			i cases.Index
			v string
		}{{cases.ByStatus, string(cases.Received)}, {cases.ByType, string(casetype.RenewPrescription)}, {cases.ByPatient, string(all[0].Patient.PNR)}} {
			tx.Lookup(idx.i, idx.v, func(id cases.ID) bool {
				if slices.Contains(purge, id) {
					found++
				}
				return true
			})
		}
		tx.DueBefore(t0.AddDate(1, 0, 0), func(id cases.ID, _ time.Time) bool {
			if slices.Contains(purge, id) {
				found++
			}
			return true
		})
		if found > 0 {
			return fmt.Errorf("%d index entries of purged cases left", found)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Rotate; the old term is in use until the reseal.
	if _, err := db.RotateKey(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RetireTerms(ctx); !errors.Is(err, ErrTermInUse) {
		t.Fatalf("retire before reseal: %v", err)
	}
	// A reseal stopped after its first batch, then run again to the end.
	stop, cancel := context.WithCancel(ctx)
	var calls [][2]int
	n1, err := db.Reseal(stop, 100, func(done, total int) { calls = append(calls, [2]int{done, total}); cancel() })
	if !errors.Is(err, context.Canceled) || n1 != 100 {
		t.Fatalf("stopped reseal: %d values, %v", n1, err)
	}
	n2, err := db.Reseal(ctx, 100, func(done, total int) { calls = append(calls, [2]int{done, total}) })
	if err != nil {
		t.Fatal(err)
	}
	use, err := db.TermUse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(use) != 1 || use[2] == 0 {
		t.Fatalf("terms in use after the reseal: %v", use)
	}
	t.Logf("resealed %d + %d values; progress %v", n1, n2, calls)
	if got, err := db.RetireTerms(ctx); err != nil || !slices.Equal(got, []uint32{1}) {
		t.Fatalf("retire: %v %v", got, err)
	}
	if _, err := db.VerifyAudit(ctx); err != nil {
		t.Fatalf("access log after the reseal: %v", err)
	}
	db.Close()

	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	compact(t, dir, path)
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range oldSealed {
		if bytes.Contains(after, s) {
			t.Errorf("purged case %s's ciphertext is still in the compacted file", purge[i])
		}
	}
	if bytes.Contains(after, oldWrapped) {
		t.Error("the retired term's wrapped key is still in the compacted file")
	}
	if bytes.Contains(after, []byte("KANARIE-LIVSCYKEL")) {
		t.Error("plaintext in the file")
	}
	t.Logf("file %d → %d bytes", len(before), len(after))

	db = openAt(t, dir)
	for _, c := range all[200:] {
		got, err := get(db, c.ID)
		if err != nil || got.Messages[0].Text != c.Messages[0].Text {
			t.Fatalf("case %s after compaction: %v", c.ID, err)
		}
	}
	if _, err := db.VerifyAudit(ctx); err != nil {
		t.Fatalf("access log after compaction: %v", err)
	}
	kr, err := db.Keyring()
	if err != nil || !kr[0].Retired || !kr[1].Active {
		t.Errorf("key ring after: %+v %v", kr, err)
	}
}
