package token_test

import (
	"crypto"
	"crypto/rand"
	"errors"
	"testing"

	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/token"
)

// TestLogin runs the PIN rules on both backends: a wrong PIN is a
// *PINError whose kind shows that tries are running low (both set the
// count-low flag after a failure), a PIN of the wrong length is refused
// before the token sees it, the right PIN works after wrong ones, and
// nothing signs before login.
func TestLogin(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := b.make(t, devpki.KeyECDSAP256)
			ctx := t.Context()

			// The certificate is readable before login; signing is not.
			s, err := c.tok.AuthCert(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Certificate().Equal(c.auth) || s.Certificate().Subject.SerialNumber != hsaID {
				t.Fatalf("AuthCert before login: got %v", s.Certificate().Subject)
			}
			d := digest(crypto.SHA256, "x")
			if _, err := s.Sign(rand.Reader, d, crypto.SHA256); !errors.Is(err, token.ErrNotLoggedIn) {
				t.Fatalf("sign before login: %v, want ErrNotLoggedIn", err)
			}

			info, err := c.tok.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.PINCountLow || info.PINFinalTry || info.PINLocked {
				t.Fatalf("fresh token has PIN flags %+v", info)
			}

			err = c.tok.Login(ctx, "000000")
			var pe *token.PINError
			if !errors.As(err, &pe) || pe.Kind != token.CountLow {
				t.Fatalf("wrong PIN: %v, want *PINError CountLow", err)
			}
			if pe.Swedish() == "" || pe.Error() == "" {
				t.Fatal("PIN error without message")
			}
			if c.tok.LoggedIn() {
				t.Fatal("logged in after a wrong PIN")
			}
			info, err = c.tok.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !info.PINCountLow {
				t.Fatal("Info does not show count low after a wrong PIN")
			}

			err = c.tok.Login(ctx, "12")
			if !errors.As(err, &pe) || pe.Kind != token.LenRange || pe.MinLen != info.MinPINLen {
				t.Fatalf("short PIN: %v, want *PINError LenRange with the token's minimum %d", err, info.MinPINLen)
			}

			if err := c.tok.Login(ctx, ""); !errors.Is(err, token.ErrPINRequired) {
				t.Fatalf("empty PIN without a PIN pad: %v, want ErrPINRequired", err)
			}

			if err := c.tok.Login(ctx, userPIN); err != nil {
				t.Fatalf("right PIN after wrong ones: %v", err)
			}
			sig, err := s.Sign(rand.Reader, d, crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if err := verify(c.auth, d, sig, crypto.SHA256); err != nil {
				t.Fatal(err)
			}
			// A second Login on the same token checks the PIN again.
			if err := c.tok.Login(ctx, "999999"); !errors.As(err, &pe) {
				t.Fatalf("wrong PIN while logged in: %v, want *PINError", err)
			}

			if err := c.tok.Logout(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Sign(rand.Reader, d, crypto.SHA256); !errors.Is(err, token.ErrNotLoggedIn) {
				t.Fatalf("sign after logout: %v, want ErrNotLoggedIn", err)
			}
		})
	}
}

// TestCertificates lists both of a SITHS card's certificates with their
// labels and ids, and the signing one's key signs too.
func TestCertificates(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := b.make(t, devpki.KeyRSA2048)
			ctx := t.Context()
			if err := c.tok.Login(ctx, userPIN); err != nil {
				t.Fatal(err)
			}
			all, err := c.tok.Certificates(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != 2 {
				t.Fatalf("%d certificates, want 2", len(all))
			}
			var signing *token.Signer
			for _, s := range all {
				if s.Certificate().Equal(c.sign) {
					signing = s
				}
			}
			if signing == nil || signing.Label() != "sign" || len(signing.ID()) == 0 {
				t.Fatal("signing certificate not listed with its label and id")
			}
			d := digest(crypto.SHA256, "document")
			sig, err := signing.Sign(rand.Reader, d, crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if err := verify(c.sign, d, sig, crypto.SHA256); err != nil {
				t.Fatal(err)
			}
		})
	}
}
