package central

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"clinicgw/sync/kekfile"
)

// legacyKeys makes a store as before issue 22's last step: the patient
// index key and the store's sealing key as plain files beside it, and
// returns their bytes.
func legacyKeys(t *testing.T, e *env) (index, seed []byte) {
	t.Helper()
	index = bytes.Repeat([]byte{0xA7}, IndexKeySize)
	seed = bytes.Repeat([]byte{0x5E}, 32)
	index[0], seed[0] = 1, 2
	for _, f := range []struct {
		path string
		b    []byte
	}{{e.path + ".index-key", index}, {e.path + ".seal-key", seed}} {
		if err := os.WriteFile(f.path, f.b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return index, seed
}

// rawKeyForms are the ways a raw key could sit in a file.
func rawKeyForms(k []byte) [][]byte {
	return [][]byte{k, []byte(hex.EncodeToString(k)), []byte(base64.StdEncoding.EncodeToString(k)), []byte(base64.RawURLEncoding.EncodeToString(k))}
}

// sweepKeys fails if any file beside the store holds one of keys, raw,
// hex or base64.
func sweepKeys(t *testing.T, dir string, keys map[string][]byte) {
	t.Helper()
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			continue
		}
		for name, k := range keys {
			for _, form := range rawKeyForms(k) {
				if bytes.Contains(b, form) {
					t.Errorf("%s holds the %s in the clear", f.Name(), name)
				}
			}
		}
	}
}

// TestCentralKeysWrapped: a store whose patient index key and sealing key
// are plain files beside it moves both into its key ring under its KEK at
// Open, removes the files, keeps the same keys (the patient's list and
// the published sealing key are unchanged), and no file beside the store
// holds either key afterwards.
func TestCentralKeysWrapped(t *testing.T) {
	e := newEnv(t)
	e.close()
	for _, f := range []string{".index-key", ".seal-key", ".keyring", ".kek"} {
		os.Remove(e.path + f)
	}
	index, seed := legacyKeys(t, e)
	e.open()
	if !bytes.Equal(e.store.indexKey, index) || !bytes.Equal(e.store.outbound.current().key.Seed(), seed) {
		t.Fatal("the keys changed in the move")
	}
	id := e.store.SealingKeyID()
	for _, f := range []string{".index-key", ".seal-key"} {
		if _, err := os.Stat(e.path + f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still beside the store: %v", f, err)
		}
	}
	e.reopen()
	if !bytes.Equal(e.store.indexKey, index) || e.store.SealingKeyID() != id {
		t.Fatal("the keys changed across a reopen")
	}
	e.close()
	sweepKeys(t, filepath.Dir(e.path), map[string][]byte{"patient index key": index, "sealing key": seed})

	// A new store makes both keys in its ring, never as plain files.
	f := newEnv(t)
	k, s := f.store.indexKey, f.store.outbound.current().key.Seed()
	f.close()
	for _, n := range []string{".index-key", ".seal-key"} {
		if _, err := os.Stat(f.path + n); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a new store made %s: %v", n, err)
		}
	}
	sweepKeys(t, filepath.Dir(f.path), map[string][]byte{"patient index key": k, "sealing key": s})
}

// TestCentralKeysMigrationCrash: a kill after any step of the move (the
// key's line synced in the ring; a plain file removed; the ring's last
// line torn by the power cut) loses no key: the next Open finishes the
// move with the same keys.
func TestCentralKeysMigrationCrash(t *testing.T) {
	for _, tc := range []struct {
		step string
		torn bool
	}{
		{"index-key wrapped", false},
		{"index-key wrapped", true},
		{"index-key removed", false},
		{"seal-key wrapped", false},
		{"seal-key wrapped", true},
		{"seal-key removed", false},
	} {
		t.Run(strings.ReplaceAll(tc.step, " ", "-")+map[bool]string{true: "-torn"}[tc.torn], func(t *testing.T) {
			e := newEnv(t)
			e.close()
			for _, f := range []string{".index-key", ".seal-key", ".keyring", ".kek"} {
				os.Remove(e.path + f)
			}
			index, seed := legacyKeys(t, e)
			errKill := errors.New("killed")
			keyMoveHook = func(step string) error {
				if step == tc.step {
					return errKill
				}
				return nil
			}
			t.Cleanup(func() { keyMoveHook = nil })
			_, err := Open(e.ctx, e.path, Options{Rand: rand.NewChaCha8([32]byte{9}), Units: []string{unitA}, Clock: e.clock})
			if !errors.Is(err, errKill) {
				t.Fatalf("Open: %v; want the kill at %q", err, tc.step)
			}
			keyMoveHook = nil
			if tc.torn {
				b, err := os.ReadFile(e.path + ".keyring")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(e.path+".keyring", b[:len(b)-7], 0o600); err != nil {
					t.Fatal(err)
				}
			}
			e.open()
			if !bytes.Equal(e.store.indexKey, index) || !bytes.Equal(e.store.outbound.current().key.Seed(), seed) {
				t.Fatal("a key was lost or changed")
			}
			e.reopen()
			if !bytes.Equal(e.store.indexKey, index) || !bytes.Equal(e.store.outbound.current().key.Seed(), seed) {
				t.Fatal("a key was lost or changed across the second open")
			}
			for _, f := range []string{".index-key", ".seal-key"} {
				if _, err := os.Stat(e.path + f); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s is still beside the store: %v", f, err)
				}
			}
		})
	}
}

// TestCentralKeysOtherKEK: with another KEK the store refuses to open and
// says which key does not open and what to do; a plain file beside a ring
// holding another key for it is refused, not chosen between.
func TestCentralKeysOtherKEK(t *testing.T) {
	e := newEnv(t)
	e.close()
	// Only the moved keys in the ring: no patient's data key to trip first.
	for _, f := range []string{".keyring", ".kek"} {
		os.Remove(e.path + f)
	}
	legacyKeys(t, e)
	e.open()
	e.close()
	other := filepath.Join(t.TempDir(), "other.kek")
	if _, err := kekfile.LoadOrCreate(other, rand.NewChaCha8([32]byte{8})); err != nil {
		t.Fatal(err)
	}
	_, err := Open(e.ctx, e.path, Options{Rand: rand.NewChaCha8([32]byte{9}), Units: []string{unitA}, Clock: e.clock, KEKFile: other})
	if err == nil || !strings.Contains(err.Error(), "does not open with the key-encryption key") {
		t.Fatalf("another KEK: %v", err)
	}
	if err := os.WriteFile(e.path+".index-key", bytes.Repeat([]byte{3}, IndexKeySize), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(e.ctx, e.path, Options{Rand: rand.NewChaCha8([32]byte{9}), Units: []string{unitA}, Clock: e.clock})
	if err == nil || !strings.Contains(err.Error(), "holds another") {
		t.Fatalf("a differing plain file: %v", err)
	}
}
