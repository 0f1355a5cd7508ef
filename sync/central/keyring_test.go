package central

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// TestKEKRefused: the store does not open with a key-encryption key file
// others may read, with its KEK file gone while its key ring holds keys
// (a new KEK would be made and nothing would open), or with another
// store's KEK; with its own it opens and reads.
func TestKEKRefused(t *testing.T) {
	e := newEnv(t)
	e.submit(unitA, "Kanarietext")
	e.close()
	kek, ring := e.path+".kek", e.path+".keyring"
	if fi, err := os.Stat(kek); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the KEK file: %v %v", fi, err)
	}
	own, err := os.ReadFile(kek)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Rand: rand.NewChaCha8([32]byte{7}), Units: []string{unitA, unitB}, Clock: e.clock}
	try := func(name, want string) {
		t.Helper()
		s, err := Open(e.ctx, e.path, opts)
		if err == nil {
			s.Close()
			t.Errorf("%s: the store opened", name)
			return
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want it to say %q", name, err, want)
		}
	}
	if err := os.Chmod(kek, 0o640); err != nil {
		t.Fatal(err)
	}
	try("mode 0640", "read by others")
	if err := os.Remove(kek); err != nil {
		t.Fatal(err)
	}
	try("KEK gone", "restore it")
	if _, err := os.Stat(kek); err == nil {
		t.Error("a new KEK file was made beside a key ring")
	}
	other := t.TempDir() + "/other.kek"
	if _, err := loadKEKFile(other, rand.NewChaCha8([32]byte{8})); err != nil {
		t.Fatal(err)
	}
	opts.KEKFile = other
	try("another KEK", "does not open")
	opts.KEKFile = ""
	if err := os.WriteFile(kek, own, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ring); err != nil {
		t.Fatal(err)
	}
	e.open()
	if list, err := e.store.PatientCases(e.ctx, adultPNR); err != nil || len(list) != 1 || list[0].Text != "Kanarietext" {
		t.Errorf("with its own KEK: %+v, %v", list, err)
	}
}
