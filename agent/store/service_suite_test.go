package store

import (
	"crypto/rand"
	"path/filepath"
	"testing"

	"clinicgw/agent/cases"
	"clinicgw/agent/cases/casestest"
)

// TestServiceSuiteOnEncryptedStore runs the cases.Service suite, which
// agent/cases runs on an in-memory fake, on the real store: a fresh bbolt
// file with its own key file per test.
func TestServiceSuiteOnEncryptedStore(t *testing.T) {
	casestest.RunServiceSuite(t, func(t *testing.T) cases.Store {
		t.Helper()
		dir := t.TempDir()
		keyPath := filepath.Join(dir, "kek.key")
		if err := GenerateKeyFile(keyPath, rand.Reader, false); err != nil {
			t.Fatal(err)
		}
		kek, err := LoadKeyFile(keyPath)
		if err != nil {
			t.Fatal(err)
		}
		db, err := Open(t.Context(), filepath.Join(dir, "store.db"), kek, Options{Unit: casestest.Unit})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := db.Close(); err != nil {
				t.Errorf("close store: %v", err)
			}
		})
		return db
	})
}
