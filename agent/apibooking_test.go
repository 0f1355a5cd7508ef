package agent

import (
	"bytes"
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"clinicgw/agent/store"
	"clinicgw/sync/clock/clocktest"
)

// TestAPIIDKeyKept: the key of the integration API's Schedule ids is made
// once and kept sealed in the store, so the ids a record system saved are
// the same after a restart of the gateway.
func TestAPIIDKeyKept(t *testing.T) {
	const u = "SE2321000016-15ZM"
	dir := t.TempDir()
	clock := clocktest.New(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	db, kek := openTestStore(t, dir, u, clock)
	ctx := context.Background()
	first, err := apiIDKey(ctx, db, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 32 {
		t.Fatalf("a key of %d bytes", len(first))
	}
	if again, err := apiIDKey(ctx, db, rand.Reader); err != nil || !bytes.Equal(again, first) {
		t.Fatalf("the second start made another key (%v)", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(ctx, filepath.Join(dir, "store.db"), kek, store.Options{Unit: u, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if after, err := apiIDKey(ctx, db, rand.Reader); err != nil || !bytes.Equal(after, first) {
		t.Fatalf("after reopening the store: another key (%v)", err)
	}
}
