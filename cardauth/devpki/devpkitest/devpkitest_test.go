package devpkitest

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"
)

func TestSelfSigned(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := SelfSigned(t, at, x509.Certificate{Subject: pkix.Name{CommonName: "x"}})
	if c.Subject.CommonName != "x" || c.SerialNumber.Int64() != 1 || !c.NotBefore.Before(at) || !c.NotAfter.After(at) {
		t.Fatalf("certificate %v serial %v valid %v–%v", c.Subject, c.SerialNumber, c.NotBefore, c.NotAfter)
	}
	if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
		t.Fatalf("not self-signed: %v", err)
	}
	if p := New(t, at); p.Root() == nil {
		t.Fatal("no root")
	}
}
