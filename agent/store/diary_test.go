package store

import (
	"errors"
	"testing"

	"clinicgw/sync/clock/clocktest"
	bolt "go.etcd.io/bbolt"
)

// TestDiaryBucketsOnAnOlderStore: a store written before the diary
// (testdata/schema2) opens, gets the diary's buckets without a schema
// bump, and keeps diary values across a reopen.
func TestDiaryBucketsOnAnOlderStore(t *testing.T) {
	db, path := openFixture(t, clocktest.New(fixFixtureClock))
	err := db.DiaryUpdate(ctx, func(tx *DiaryTx) error {
		if err := tx.Put(DiaryTypes, []byte("besok-30"), []byte(`{"id":"besok-30"}`)); err != nil {
			return err
		}
		return tx.IndexPut(DiaryIdxFree, []byte("k"), []byte("v"))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, path, fixtureKEK(t), Options{Unit: testUnit})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	var got []byte
	if err := db.DiaryView(ctx, func(tx *DiaryTx) error {
		var err error
		got, err = tx.Get(DiaryTypes, []byte("besok-30"))
		return err
	}); err != nil || string(got) != `{"id":"besok-30"}` {
		t.Fatalf("after reopen: %q, %v", got, err)
	}
	if err := db.bolt.View(func(btx *bolt.Tx) error {
		if v, _ := readSchema(btx); v != schemaVersion {
			t.Errorf("schema %d, want %d unchanged", v, schemaVersion)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestDiarySealedLikeEveryValue: diary values are sealed (not in clear in
// the file's bucket), bound to their key, resealed by a key rotation and
// still open after the old term is retired; a refusal from the function
// rolls back and comes back as it is; only the diary's buckets are reachable.
func TestDiarySealedLikeEveryValue(t *testing.T) {
	db, _ := testStore(t)
	secret := []byte(`{"patient":"191212121212"}`)
	put := func(key string) error {
		return db.DiaryUpdate(ctx, func(tx *DiaryTx) error { return tx.Put(DiaryTimes, []byte(key), secret) })
	}
	if err := put("a"); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	db.bolt.View(func(btx *bolt.Tx) error {
		raw = append(raw, btx.Bucket([]byte(DiaryTimes)).Get([]byte("a"))...)
		return nil
	})
	if len(raw) == 0 || string(raw) == string(secret) {
		t.Fatalf("the diary value is not sealed: %q", raw)
	}
	// Moved to another key, it does not open.
	db.bolt.Update(func(btx *bolt.Tx) error { return btx.Bucket([]byte(DiaryTimes)).Put([]byte("b"), raw) })
	err := db.DiaryView(ctx, func(tx *DiaryTx) error { _, err := tx.Get(DiaryTimes, []byte("b")); return err })
	if err == nil {
		t.Error("a diary value moved to another key opened")
	}
	db.bolt.Update(func(btx *bolt.Tx) error { return btx.Bucket([]byte(DiaryTimes)).Delete([]byte("b")) })

	if _, err := db.RotateKey(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Reseal(ctx, 100, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RetireTerms(ctx); err != nil {
		t.Fatalf("retire after reseal: %v (a diary value not resealed?)", err)
	}
	var got []byte
	if err := db.DiaryView(ctx, func(tx *DiaryTx) error { var err error; got, err = tx.Get(DiaryTimes, []byte("a")); return err }); err != nil || string(got) != string(secret) {
		t.Fatalf("after rotation: %q %v", got, err)
	}

	refused := errors.New("declined")
	err = db.DiaryUpdate(ctx, func(tx *DiaryTx) error {
		if err := tx.Put(DiaryTimes, []byte("c"), secret); err != nil {
			return err
		}
		return refused
	})
	if !errors.Is(err, refused) {
		t.Errorf("the function's refusal came back as %v", err)
	}
	db.DiaryView(ctx, func(tx *DiaryTx) error {
		if v, _ := tx.Get(DiaryTimes, []byte("c")); v != nil {
			t.Error("a refused transaction's write was kept")
		}
		if _, err := tx.Get(bucketCases, []byte("x")); !errors.Is(err, ErrDiaryBucket) {
			t.Errorf("the diary reached the cases bucket: %v", err)
		}
		if err := tx.IndexPut(DiaryTimes, []byte("x"), nil); !errors.Is(err, ErrDiaryBucket) {
			t.Errorf("a clear value went into a sealed bucket: %v", err)
		}
		return nil
	})
}
