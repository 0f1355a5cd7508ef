package token_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/miekg/pkcs11"

	"clinicgw/cardauth/cardtest"
	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/token"
)

// openscModule is Debian's OpenSC PKCS#11 module.
const openscModule = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"

// pivATR is an Oberthur PIV card's contactless ATR from OpenSC's table:
// OpenSC 0.23 takes cardtest's default ATR for a PIVKey, a type it
// believes has no EC (card_issues CI_NO_EC), and then offers no ECDSA
// mechanism; for an Oberthur card it assumes no issues and offers ECDSA
// P-256 and P-384.
var pivATR = []byte{0x3b, 0x86, 0x80, 0x01, 0x80, 0x31, 0xc1, 0x52, 0x41, 0x1a, 0x7e}

// skipUnlessOpenSC skips when the private pcscd or OpenSC cannot run
// here (and fails under CI, which installs them).
func skipUnlessOpenSC(t *testing.T) {
	t.Helper()
	cardtest.SkipUnlessAvailable(t)
	if _, err := os.Stat(openscModule); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("OpenSC's PKCS#11 module is missing: %v", err)
		}
		t.Skipf("OpenSC's PKCS#11 module is missing (%v); install opensc-pkcs11 (make deps)", err)
	}
}

// insertPIV puts a virtual PIV card in the private pcscd's reader: an
// authentication key of alg in 9A and a P-256 signing key in 9C (which
// asks for the PIN before every signature).
func insertPIV(t *testing.T, alg string) *cardtest.PIV {
	t.Helper()
	pki := testPKI(t)
	ac, ak, err := pki.Person(hsaID, "Virtuell", "Kortsson", alg)
	if err != nil {
		t.Fatal(err)
	}
	sc, sk, err := pki.PersonSigning(hsaID, "Virtuell", "Kortsson", devpki.KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	piv := cardtest.NewPIV(cardtest.Slot{Cert: ac, Key: ak}, cardtest.Slot{Cert: sc, Key: sk}, userPIN)
	card, err := cardtest.Insert(pcscd.Port, pivATR, piv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(card.Remove)
	return piv
}

// openReader opens the token in the virtual reader, by the reader's name,
// through OpenSC. pcscd polls vpcd every ~400 ms, so the card shows up
// within about a second: Open is asked again until then (ErrNoToken).
func openReader(t *testing.T, deadline time.Duration) *token.Token {
	t.Helper()
	give := time.Now().Add(10 * time.Second)
	for {
		tok, err := token.Open(t.Context(), token.Config{Module: openscModule, Reader: cardtest.ReaderName, Deadline: deadline})
		if err == nil {
			t.Cleanup(func() { _ = tok.Close() })
			return tok
		}
		if !errors.Is(err, token.ErrNoToken) || time.Now().After(give) {
			t.Fatalf("open the card in %q through OpenSC: %v", cardtest.ReaderName, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestOpenSC: card → private pcscd → OpenSC's PKCS#11 module → this
// package, keys on the (virtual) card: the slot found by the reader's
// name, the authentication certificate chosen over the signing one,
// RSA-2048 (PKCS#1 v1.5 and PSS) and P-256 signatures that verify, the
// 9C key's context-specific login with the PIN given for the operation
// (a wrong one costs one try, never two), and the lockout a real card has.
func TestOpenSC(t *testing.T) {
	skipUnlessOpenSC(t)
	if err := pcscd.Start(); err != nil {
		t.Fatal(err)
	}
	defer pcscd.Stop()

	for _, alg := range []string{devpki.KeyRSA2048, devpki.KeyECDSAP256} {
		t.Run(alg, func(t *testing.T) {
			piv := insertPIV(t, alg)
			tok := openReader(t, 0)
			ctx := t.Context()
			info, err := tok.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.SlotDescription != cardtest.ReaderName || !info.LoginRequired {
				t.Fatalf("slot %q, login required %v", info.SlotDescription, info.LoginRequired)
			}
			s, err := tok.AuthCert(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(s.Certificate().Raw, piv.Auth.Cert.Raw) {
				t.Fatal("AuthCert is not the card's authentication certificate (9A)")
			}
			if err := tok.Login(ctx, userPIN); err != nil {
				t.Fatal(err)
			}
			opts := []crypto.SignerOpts{crypto.SHA256}
			if alg == devpki.KeyRSA2048 && tok.Offers(pkcs11.CKM_RSA_PKCS_PSS) {
				opts = append(opts, &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash})
			}
			if alg == devpki.KeyRSA2048 && len(opts) != 2 {
				t.Fatal("OpenSC does not offer RSA-PSS for the card")
			}
			for _, o := range opts {
				d := digest(o.HashFunc(), "clinicgw login")
				sig, err := s.SignContext(ctx, d, o)
				if err != nil {
					t.Fatalf("sign %T: %v", o, err)
				}
				if err := verify(piv.Auth.Cert, d, sig, o); err != nil {
					t.Fatalf("the card's %T signature: %v", o, err)
				}
			}

			// The signing key in 9C asks for the PIN at every signature.
			all, err := tok.Certificates(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var sign *token.Signer
			for _, c := range all {
				if bytes.Equal(c.Certificate().Raw, piv.Sign.Cert.Raw) {
					sign = c
				}
			}
			if sign == nil {
				t.Fatal("the signing certificate (9C) is not listed")
			}
			d := digest(crypto.SHA256, "document")
			if _, err := sign.SignContext(ctx, d, crypto.SHA256); !errors.Is(err, token.ErrPINRequired) {
				t.Fatalf("9C without a PIN: %v, want ErrPINRequired", err)
			}
			_, err = sign.SignWithPIN(ctx, "000000", d, crypto.SHA256)
			var pe *token.PINError
			if !errors.As(err, &pe) {
				t.Fatalf("9C with a wrong PIN: %v, want *PINError", err)
			}
			if got := piv.Retries(); got != cardtest.PINRetries-1 {
				t.Fatalf("card has %d tries left after one wrong PIN, want %d: the PIN was tried more than once", got, cardtest.PINRetries-1)
			}
			// The refused PIN ended the login, as the card forgot it.
			if tok.LoggedIn() {
				t.Fatal("still logged in after a refused 9C PIN")
			}
			if err := tok.Login(ctx, userPIN); err != nil {
				t.Fatal(err)
			}
			sig, err := sign.SignWithPIN(ctx, userPIN, d, crypto.SHA256)
			if err != nil {
				t.Fatalf("9C with the PIN: %v", err)
			}
			if err := verify(piv.Sign.Cert, d, sig, crypto.SHA256); err != nil {
				t.Fatalf("the card's 9C signature: %v", err)
			}
		})
	}

	t.Run("lockout", func(t *testing.T) {
		piv := insertPIV(t, devpki.KeyECDSAP256)
		tok := openReader(t, 0)
		var kinds []token.PINKind
		for range cardtest.PINRetries {
			err := tok.Login(t.Context(), "000000")
			var pe *token.PINError
			if !errors.As(err, &pe) {
				t.Fatalf("wrong PIN: %v, want *PINError", err)
			}
			kinds = append(kinds, pe.Kind)
		}
		t.Logf("five wrong PINs through OpenSC: %v", kinds)
		if kinds[0] != token.Incorrect && kinds[0] != token.CountLow || kinds[3] != token.FinalTry || kinds[4] != token.Locked {
			t.Fatalf("PIN states %v: want the 4th FinalTry and the 5th Locked", kinds)
		}
		err := tok.Login(t.Context(), userPIN)
		var pe *token.PINError
		if !errors.As(err, &pe) || pe.Kind != token.Locked || piv.Retries() != 0 {
			t.Fatalf("the right PIN on a locked card: %v (card tries %d), want Locked", err, piv.Retries())
		}
		if pe.Swedish() != "Kortet är spärrat efter för många felaktiga PIN-koder. Lås upp det med PUK-koden eller kontakta kortadministratören." {
			t.Fatalf("Swedish: %q", pe.Swedish())
		}
	})
}

// pullChildEnv marks the child process TestOpenSCCardPulled runs.
const pullChildEnv = "CLINICGW_TOKEN_PULL_CHILD"

// TestOpenSCCardPulled: the card leaves the reader while the token is
// open; the next signature fails with ErrCardRemoved, or, as OpenSC 0.23
// hangs in C_Sign (OpenSC #2707), with ErrTokenHung at the deadline,
// which also is ErrCardRemoved; the Token refuses everything after that
// and a new Open says the module is stuck. A hung OpenSC keeps its lock
// for the rest of the process, so this runs in a child process of its
// own (with its own pcscd), which the test waits for.
func TestOpenSCCardPulled(t *testing.T) {
	skipUnlessOpenSC(t)
	if os.Getenv(pullChildEnv) == "" {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestOpenSCCardPulled$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), pullChildEnv+"=1")
		out, err := cmd.CombinedOutput()
		t.Logf("child:\n%s", out)
		if err != nil {
			t.Fatalf("the pulled-card child failed: %v", err)
		}
		return
	}
	if err := pcscd.Start(); err != nil {
		t.Fatal(err)
	}
	defer pcscd.Stop()
	pki := testPKI(t)
	ac, ak, err := pki.Person(hsaID, "Virtuell", "Kortsson", devpki.KeyRSA2048)
	if err != nil {
		t.Fatal(err)
	}
	piv := cardtest.NewPIV(cardtest.Slot{Cert: ac, Key: ak}, cardtest.Slot{}, userPIN)
	card, err := cardtest.Insert(pcscd.Port, pivATR, piv)
	if err != nil {
		t.Fatal(err)
	}
	tok := openReader(t, 2*time.Second)
	if err := tok.Login(t.Context(), userPIN); err != nil {
		t.Fatal(err)
	}
	s, err := tok.AuthCert(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	d := digest(crypto.SHA256, "before")
	if _, err := s.Sign(rand.Reader, d, crypto.SHA256); err != nil {
		t.Fatal(err)
	}
	card.Remove()
	// Until pcscd sees the removal (<= ~400 ms) the reader may still look
	// present; ask until a signature fails.
	var signErr error
	for range 50 {
		if _, signErr = s.SignContext(context.Background(), d, crypto.SHA256); signErr != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("sign after the pull: %v (hung: %v)", signErr, errors.Is(signErr, token.ErrTokenHung))
	if !errors.Is(signErr, token.ErrCardRemoved) {
		t.Fatalf("sign after the card was pulled: %v, want ErrCardRemoved", signErr)
	}
	if err := tok.Login(t.Context(), userPIN); !errors.Is(err, token.ErrCardRemoved) {
		t.Fatalf("login after the pull: %v, want ErrCardRemoved", err)
	}
	if errors.Is(signErr, token.ErrTokenHung) {
		_, err := token.Open(t.Context(), token.Config{Module: openscModule, Reader: cardtest.ReaderName})
		if !errors.Is(err, token.ErrModuleStuck) {
			t.Fatalf("open after a hang: %v, want ErrModuleStuck", err)
		}
	}
}
