package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestSettings (DP1): sealed at rest, bound to its key, durable, readable
// after a key rotation; bad keys and values refused with nothing written.
func TestSettings(t *testing.T) {
	db, dir := testStore(t)
	ctx := t.Context()
	const canary = "KANARIE-SIGNATUR Lars Läkarsson"
	if _, err := db.Setting(ctx, "staff/SE1/prefs"); !errors.Is(err, ErrNoSetting) {
		t.Fatalf("a setting never written: %v", err)
	}
	if err := db.PutSetting(ctx, "staff/SE1/prefs", []byte(canary)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "has space", "nyckel/å", strings.Repeat("k", 201)} {
		if err := db.PutSetting(ctx, bad, []byte("x")); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
	if err := db.PutSetting(ctx, "big", make([]byte, maxSettingValue+1)); err == nil {
		t.Error("a value over the limit accepted")
	}
	if _, err := db.Setting(ctx, "big"); !errors.Is(err, ErrNoSetting) {
		t.Errorf("a refused value was written: %v", err)
	}
	if _, err := db.RotateKey(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.PutSetting(ctx, "unit/settings", []byte("efter rotation")); err != nil {
		t.Fatal(err)
	}
	// A sealed value moved to another key does not open (AAD).
	err := db.bolt.Update(func(btx *bolt.Tx) error {
		b := btx.Bucket([]byte(bucketSettings))
		return b.Put([]byte("staff/SE2/prefs"), bytes.Clone(b.Get([]byte("staff/SE1/prefs"))))
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Setting(ctx, "staff/SE2/prefs"); err == nil {
		t.Error("a value moved to another key opened")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(canary)) || bytes.Contains(raw, []byte("efter rotation")) {
		t.Fatal("a setting is in clear in the store file")
	}
	db = openAt(t, dir)
	for key, want := range map[string]string{"staff/SE1/prefs": canary, "unit/settings": "efter rotation"} {
		got, err := db.Setting(ctx, key)
		if err != nil || string(got) != want {
			t.Errorf("%s after reopen: %q, %v", key, got, err)
		}
	}
	if err := db.DeleteSetting(ctx, "unit/settings"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Setting(ctx, "unit/settings"); !errors.Is(err, ErrNoSetting) {
		t.Errorf("after delete: %v", err)
	}
}
