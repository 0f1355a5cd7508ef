package siths

import (
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock/clocktest"
)

// Fuzz targets (checklist RV2): go test -fuzz=FuzzX -fuzztime=10m ./cardauth/siths

func FuzzParseProfile(f *testing.F) {
	p, err := devpki.New(nil, t0)
	if err != nil {
		f.Fatal(err)
	}
	for _, alg := range []string{devpki.KeyECDSAP256, devpki.KeyRSA2048} {
		c, _, err := p.Person(hsaID, "Åsa", "Öberg", alg, devpki.OCSP("http://ocsp.example/"), devpki.CRL("http://crl.example/p.crl"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(c.Raw)
	}
	s, _, err := p.PersonSigning(hsaID, "A", "B", devpki.KeyECDSAP256)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(s.Raw)
	f.Add(p.PersonCA().Raw)
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return
		}
		id, err := HSAID(cert)
		if err == nil && id == "" {
			t.Error("HSAID: an empty HSA-ID without an error")
		}
		_ = IsAuthentication(cert)
		_, _, _ = names(cert)
		_ = httpURLs(cert.OCSPServer)
		_ = httpURLs(cert.CRLDistributionPoints)
		_, _ = publicKeyBits(cert)
	})
}

// fuzzSetup is a verifier, a leaf and its issuer for the response fuzzers.
func fuzzSetup(f *testing.F) (*Verifier, *x509.Certificate, *devpki.PKI) {
	p, err := devpki.New(nil, t0)
	if err != nil {
		f.Fatal(err)
	}
	leaf, _, err := p.Person(hsaID, "A", "B", devpki.KeyECDSAP256)
	if err != nil {
		f.Fatal(err)
	}
	v, err := New(Config{Roots: p.Roots(), Intermediates: []*x509.Certificate{p.PersonCA()}, Clock: clocktest.New(t0)})
	if err != nil {
		f.Fatal(err)
	}
	return v, leaf, p
}

func FuzzOCSPResponse(f *testing.F) {
	v, leaf, p := fuzzSetup(f)
	for _, st := range []int{ocsp.Good, ocsp.Revoked, ocsp.Unknown} {
		b, err := p.SignOCSP(ocsp.Response{Status: st, SerialNumber: leaf.SerialNumber, ThisUpdate: t0, NextUpdate: t0.Add(time.Hour), RevokedAt: t0}, nil, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	rc, rk, err := p.OCSPResponder(true)
	if err != nil {
		f.Fatal(err)
	}
	b, err := p.SignOCSP(ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber, ThisUpdate: t0}, rc, rk)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(ocsp.TryLaterErrorResponse)
	f.Add([]byte{0x30, 0x03, 0x0a, 0x01, 0x01})
	issuer := p.PersonCA()
	f.Fuzz(func(t *testing.T, body []byte) {
		a, until, err := v.checkOCSP(body, leaf, issuer, t0)
		if err != nil {
			return
		}
		if !until.After(t0) {
			t.Errorf("accepted a response to be cached until %v, not after now", until)
		}
		_ = a.err(leaf)
	})
}

func FuzzCRL(f *testing.F) {
	v, leaf, p := fuzzSetup(f)
	crl, err := p.PersonCRL([]*big.Int{leaf.SerialNumber, big.NewInt(3)}, 1, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(crl)
	f.Add([]byte("-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n"))
	issuer := p.PersonCA()
	f.Fuzz(func(t *testing.T, body []byte) {
		l, until, err := v.checkCRL(body, issuer, t0)
		if err != nil {
			return
		}
		if !until.After(t0) {
			t.Errorf("accepted a CRL to be cached until %v, not after now", until)
		}
		_ = l.status(leaf)
	})
}

func FuzzIssuingDP(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x81, 0x01, 0xff})
	f.Add([]byte{0x30, 0x04, 0xa0, 0x02, 0xa0, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		_, _ = parseIssuingDP(der)
	})
}
