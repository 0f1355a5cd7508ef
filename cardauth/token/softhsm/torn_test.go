package softhsm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestMendTorn: a token.object left empty, as a kill between SoftHSM2's
// truncate and write at login leaves it, hides the token from an
// outside client (pkcs11-tool); MendTorn puts it back, and the client
// logs in and sees the key again. An intact file is left alone.
func TestMendTorn(t *testing.T) {
	h := New(t)
	tk := h.InitToken("torn", "87654321", "123456")
	tk.GenerateAESKey("kek-torn", 256)
	files := h.SaveTokenFiles()
	objects := func() (string, error) {
		cmd := exec.Command("pkcs11-tool", "--module", h.Module(), "--token-label", "torn", "--login", "--pin", tk.UserPIN, "--list-objects")
		cmd.Env = h.Env()
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := objects(); err != nil {
		t.Fatalf("pkcs11-tool on the intact token: %v: %s", err, out)
	}
	if n := files.MendTorn(); n != 0 {
		t.Fatalf("put back %d intact token files", n)
	}
	paths, _ := filepath.Glob(filepath.Join(h.dir, "tokens", "*", "token.object"))
	for _, p := range paths {
		if err := os.Truncate(p, 0); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := objects(); err == nil {
		t.Fatalf("pkcs11-tool found the token with its file emptied: %s", out)
	}
	if n := files.MendTorn(); n != len(paths) {
		t.Fatalf("put back %d of %d emptied token files", n, len(paths))
	}
	if out, err := objects(); err != nil || !strings.Contains(out, "kek-torn") {
		t.Fatalf("pkcs11-tool after MendTorn: %v: %s", err, out)
	}
}
