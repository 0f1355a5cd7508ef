package token_test

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/token"
	"clinicgw/cardauth/token/softhsm"
)

// TestPKCS11ToolReadsToken: OpenSC's pkcs11-tool, an outside client in
// its own process, sees the SoftHSM2 token and the objects the harness
// made, and signs with the authentication key; the signature verifies
// against the certificate AuthCert returns.
func TestPKCS11ToolReadsToken(t *testing.T) {
	tool, err := exec.LookPath("pkcs11-tool")
	if err != nil {
		t.Fatalf("pkcs11-tool not found (%v); install opensc (make deps)", err)
	}
	for _, alg := range []string{devpki.KeyRSA2048, devpki.KeyECDSAP256} {
		t.Run(alg, func(t *testing.T) {
			h := softhsm.New(t)
			label := fmt.Sprintf("tool-%d", labelN.Add(1))
			tk := h.InitToken(label, soPIN, userPIN)
			p := tk.ProvisionPerson(testPKI(t), hsaID, "Test", "Person", alg)
			run := func(args ...string) string {
				t.Helper()
				cmd := exec.CommandContext(t.Context(), tool, append([]string{"--module", softhsm.ModulePath, "--token-label", label}, args...)...)
				cmd.Env = h.Env()
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("pkcs11-tool %s: %v\n%s", strings.Join(args, " "), err, out)
				}
				return string(out)
			}
			if out := run("-L"); !strings.Contains(out, "token label        : "+label) {
				t.Fatalf("pkcs11-tool -L does not list the token:\n%s", out)
			}
			out := run("-O", "--login", "--pin", userPIN)
			for _, want := range []string{"Certificate Object", "label:      auth", "label:      sign", "Private Key Object"} {
				if !strings.Contains(out, want) {
					t.Fatalf("pkcs11-tool -O lacks %q:\n%s", want, out)
				}
			}

			dir := t.TempDir()
			d := sha256.Sum256([]byte("challenge for pkcs11-tool"))
			in, sigFile := filepath.Join(dir, "in"), filepath.Join(dir, "sig")
			args := []string{"--login", "--pin", userPIN, "--sign", "--id", "01", "-i", in, "-o", sigFile}
			data := d[:]
			if alg == devpki.KeyRSA2048 {
				data = []byte("challenge for pkcs11-tool") // the mechanism hashes
				args = append(args, "-m", "SHA256-RSA-PKCS")
			} else {
				args = append(args, "-m", "ECDSA", "--signature-format", "openssl")
			}
			if err := os.WriteFile(in, data, 0o600); err != nil {
				t.Fatal(err)
			}
			run(args...)
			sig, err := os.ReadFile(sigFile)
			if err != nil {
				t.Fatal(err)
			}

			tok, err := token.Open(t.Context(), token.Config{Module: softhsm.ModulePath, TokenLabel: label})
			if err != nil {
				t.Fatal(err)
			}
			defer tok.Close()
			s, err := tok.AuthCert(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if !s.Certificate().Equal(p.Auth.Cert) {
				t.Fatal("AuthCert is not the certificate the harness stored")
			}
			if err := verify(s.Certificate(), d[:], sig, crypto.SHA256); err != nil {
				t.Fatalf("pkcs11-tool's signature: %v", err)
			}
		})
	}
}

// TestKEK: an AES key that never leaves the SoftHSM2 token wraps and
// unwraps a data key; other associated data, another key or a flipped
// bit are refused.
func TestKEK(t *testing.T) {
	h := softhsm.New(t)
	label := fmt.Sprintf("kek-%d", labelN.Add(1))
	tk := h.InitToken(label, soPIN, userPIN)
	tk.GenerateAESKey("store-kek", 256)
	tk.GenerateAESKey("other-kek", 256)
	tok, err := token.Open(t.Context(), token.Config{Module: softhsm.ModulePath, TokenLabel: label})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	ctx := t.Context()
	if _, err := tok.KEK(ctx, "store-kek"); !errors.Is(err, token.ErrNoKey) || !errors.Is(err, token.ErrNotLoggedIn) {
		t.Fatalf("KEK before login: %v, want ErrNoKey and ErrNotLoggedIn", err)
	}
	if err := tok.Login(ctx, userPIN); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.KEK(ctx, "no-such-key"); !errors.Is(err, token.ErrNoKey) {
		t.Fatalf("unknown label: %v, want ErrNoKey", err)
	}
	kek, err := tok.KEK(ctx, "store-kek")
	if err != nil {
		t.Fatal(err)
	}
	other, err := tok.KEK(ctx, "other-kek")
	if err != nil {
		t.Fatal(err)
	}
	secret := bytes.Repeat([]byte{0x42}, 32)
	aad := []byte("cases/1")
	blob, err := kek.Wrap(ctx, secret, aad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, secret[:8]) {
		t.Fatal("the wrapped key shows the secret")
	}
	blob2, err := kek.Wrap(ctx, secret, aad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(blob, blob2) {
		t.Fatal("two wraps of the same key are equal: the nonce repeats")
	}
	got, err := kek.Unwrap(ctx, blob, aad)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, secret) {
		t.Fatal("unwrapped key differs")
	}
	flipped := bytes.Clone(blob)
	flipped[len(flipped)-20] ^= 1
	for name, try := range map[string]func() ([]byte, error){
		"other aad":   func() ([]byte, error) { return kek.Unwrap(ctx, blob, []byte("cases/2")) },
		"other key":   func() ([]byte, error) { return other.Unwrap(ctx, blob, aad) },
		"flipped bit": func() ([]byte, error) { return kek.Unwrap(ctx, flipped, aad) },
	} {
		if _, err := try(); !errors.Is(err, token.ErrKEKMismatch) {
			t.Errorf("%s: %v, want ErrKEKMismatch", name, err)
		}
	}
	// The token still works after refused unwraps.
	if _, err := kek.Unwrap(ctx, blob2, aad); err != nil {
		t.Fatalf("unwrap after refusals: %v", err)
	}
}
