package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"clinicgw/cardauth/token/softhsm"
)

func TestMain(m *testing.M) { os.Exit(softhsm.Main(m)) }

// centralOnce runs `clinicgw central` with args until it is up, then
// stops it, and returns its exit status and output.
func centralOnce(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelOnWrite{marker: "CA certificate:", cancel: cancel}
	var errOut bytes.Buffer
	code := run(ctx, append([]string{"central", "--api", "127.0.0.1:0", "--web", "127.0.0.1:0"}, args...), out, &errOut)
	return code, out.String(), errOut.String()
}

// TestCentralKEKOnToken: `clinicgw central` takes the gateway's KEK
// choices. With the PKCS#11 flags its key ring is wrapped by an AES key
// on a SoftHSM2 token (no KEK file is made beside the store, and without
// the token the store does not open); with --key-file the KEK is that
// file; a token flag missing or both choices given is a usage error.
func TestCentralKEKOnToken(t *testing.T) {
	h := softhsm.New(t)
	tk := h.InitToken("central-kek", "87654321", "123456")
	tk.GenerateAESKey("clinicgw-central-kek", 256)
	pin := filepath.Join(t.TempDir(), "token.pin")
	if err := os.WriteFile(pin, []byte(tk.UserPIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "central")
	onToken := []string{"--dir", dir, "--token-module", h.Module(), "--token-label", "central-kek", "--token-key-label", "clinicgw-central-kek", "--token-pin-file", pin}
	for round := range 2 {
		if code, _, stderr := centralOnce(t, onToken...); code != exitOK {
			t.Fatalf("round %d on the token: exit %d: %s", round, code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "central.db.kek")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a KEK file was made beside a store whose KEK is on the token: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "central.db.keyring")); err != nil || fi.Size() == 0 {
		t.Fatalf("the key ring: %v %v", fi, err)
	}
	if code, _, stderr := centralOnce(t, "--dir", dir); code == exitOK || !strings.Contains(stderr, "key-encryption key") {
		t.Errorf("without the token: exit %d: %s", code, stderr)
	}
	if code, _, stderr := centralOnce(t, append(onToken[:len(onToken)-2], "--token-pin-file", filepath.Join(t.TempDir(), "none"))...); code == exitOK || !strings.Contains(stderr, "pin") {
		t.Errorf("a missing PIN file: exit %d: %s", code, stderr)
	}

	// --key-file: the KEK is that file, made 0600 on the first start.
	dir2 := filepath.Join(t.TempDir(), "central")
	kf := filepath.Join(t.TempDir(), "keys", "central.kek")
	if err := os.MkdirAll(filepath.Dir(kf), 0o700); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := centralOnce(t, "--dir", dir2, "--key-file", kf); code != exitOK {
		t.Fatalf("--key-file: exit %d: %s", code, stderr)
	}
	if fi, err := os.Stat(kf); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the key file: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir2, "central.db.kek")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a KEK file beside the store besides --key-file: %v", err)
	}

	for _, bad := range [][]string{
		{"--dir", dir, "--token-module", h.Module(), "--token-label", "central-kek"},
		{"--dir", dir, "--key-file", kf, "--token-module", h.Module(), "--token-label", "central-kek", "--token-key-label", "k", "--token-pin-file", pin},
		{"--dir", dir, "--token-label", "central-kek"},
	} {
		if code, _, stderr := centralOnce(t, bad...); code != exitUsage {
			t.Errorf("%v: exit %d, want a usage error: %s", bad, code, stderr)
		}
	}
}
