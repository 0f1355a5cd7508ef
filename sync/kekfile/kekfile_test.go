package kekfile

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestKeyFile: a made file loads to the same key (same id, wraps what it
// unwraps); a file of another key, header or size, or (on unix) one
// others may read, is refused; Generate does not replace a key unless
// forced.
func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kek")
	random := rand.NewChaCha8([32]byte{1})
	k, err := LoadOrCreate(path, random)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k.ID() != again.ID() || !strings.HasPrefix(k.ID(), "file:") || again.Path() != path {
		t.Fatalf("ids %s and %s, path %s", k.ID(), again.ID(), again.Path())
	}
	w, err := k.Wrap([]byte("data key"), []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Unwrap(w, []byte("aad")); err != nil || string(got) != "data key" {
		t.Fatalf("unwrap: %q %v", got, err)
	}
	if _, err := again.Unwrap(w, []byte("other aad")); !errors.Is(err, ErrUnwrap) {
		t.Fatalf("unwrap under another aad: %v", err)
	}
	if err := Generate(path, random, false); err == nil {
		t.Fatal("Generate replaced an existing key")
	}
	other := filepath.Join(dir, "other")
	if err := Generate(other, random, false); err != nil {
		t.Fatal(err)
	}
	ok, _ := Load(other, nil)
	if _, err := ok.Unwrap(w, []byte("aad")); !errors.Is(err, ErrUnwrap) {
		t.Fatalf("another key unwrapped: %v", err)
	}
	for name, text := range map[string]string{
		"header": "clinicgw-kek-v2 " + strings.Repeat("A", 44) + "\n",
		"size":   Header + " AAAA\n",
		"base64": Header + " !!!!\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p, nil); err == nil {
			t.Errorf("a file with a wrong %s loaded", name)
		}
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(path, 0o640); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path, nil); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("a key file others may read: %v", err)
		}
		if _, err := ReadSecret(path); err == nil {
			t.Fatal("a secret file others may read was read")
		}
	}
}
