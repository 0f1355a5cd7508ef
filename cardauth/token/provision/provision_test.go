package provision_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/token"
	"clinicgw/cardauth/token/provision"
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "provision-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	conf, err := provision.SoftHSMConfig(dir)
	if err == nil {
		err = os.Setenv(provision.SoftHSMConfEnv, conf)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// A card written by Person opens through cardauth/token by its label,
// logs in with the PIN and signs with the certificate's key; a second
// token with the same label is refused.
func TestPersonOnSoftHSM(t *testing.T) {
	if _, err := os.Stat(provision.SoftHSMModule); err != nil {
		t.Skipf("softhsm2 is not installed (%v); make deps installs it", err)
	}
	mod, err := token.OpenModule(provision.SoftHSMModule)
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close()
	pki, err := devpki.New(nil, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tk, err := provision.InitToken(mod, "SE2321000016-PRV1", "87654321", "1234")
	if err != nil {
		t.Fatal(err)
	}
	p, err := tk.Person(pki, "SE2321000016-PRV1", "Pia", "Provsson", devpki.KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Auth.Cert.Subject.SerialNumber; got != "SE2321000016-PRV1" {
		t.Errorf("auth certificate serialNumber %q", got)
	}
	if _, err := provision.InitToken(mod, "SE2321000016-PRV1", "87654321", "1234"); !errors.Is(err, provision.ErrLabelTaken) {
		t.Errorf("second token with the label: %v, want ErrLabelTaken", err)
	}

	ctx := context.Background()
	tok, err := token.Open(ctx, token.Config{Module: provision.SoftHSMModule, TokenLabel: "SE2321000016-PRV1"})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	s, err := tok.AuthCert(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Certificate().Equal(p.Auth.Cert) {
		t.Error("the token's authentication certificate is not the one issued")
	}
	if err := tok.Login(ctx, "1234"); err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("challenge"))
	sig, err := s.SignContext(ctx, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(p.Auth.Cert.PublicKey.(*ecdsa.PublicKey), digest[:], sig) {
		t.Error("the token's signature does not verify with the certificate's key")
	}
	if _, err := p.Auth.Cert.Verify(x509.VerifyOptions{Roots: pki.RootPool(), Intermediates: pki.PersonCAPool(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("the certificate does not chain to the PKI: %v", err)
	}
}
