package devpkitest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"clinicgw/cardauth/devpki"
)

// New makes a development PKI at the time at, failing t on an error.
func New(t testing.TB, at time.Time) *devpki.PKI {
	t.Helper()
	p, err := devpki.New(nil, at)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// SelfSigned makes a self-signed P-256 certificate from tmpl; a missing
// serial number is 1, and a missing validity runs from an hour before at
// to a year after it.
func SelfSigned(t testing.TB, at time.Time, tmpl x509.Certificate) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = big.NewInt(1)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = at.Add(-time.Hour), at.AddDate(1, 0, 0)
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
