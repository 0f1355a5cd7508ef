package devpki

import (
	"crypto/x509"
	"math/big"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

func TestRevocationHelpers(t *testing.T) {
	p, err := New(nil, now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _, err := p.Person("SE2321000016-S001", "A", "B", KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}

	for _, signing := range []bool{true, false} {
		rc, rk, err := p.OCSPResponder(signing)
		if err != nil {
			t.Fatal(err)
		}
		if err := rc.CheckSignatureFrom(p.PersonCA()); err != nil {
			t.Errorf("responder certificate not issued by the person CA: %v", err)
		}
		if got := slices.Contains(rc.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning); got != signing {
			t.Errorf("OCSPResponder(%v): OCSPSigning %v", signing, got)
		}
		der, err := p.SignOCSP(ocsp.Response{Status: ocsp.Revoked, SerialNumber: leaf.SerialNumber, ThisUpdate: now, NextUpdate: now.Add(time.Hour),
			RevokedAt: now.Add(-time.Hour), RevocationReason: ocsp.KeyCompromise}, rc, rk)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ocsp.ParseResponseForCert(der, leaf, p.PersonCA())
		if err != nil || resp.Status != ocsp.Revoked || !resp.Certificate.Equal(rc) {
			t.Errorf("delegated response: %+v, %v", resp, err)
		}
	}
	der, err := p.SignOCSP(ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber, ThisUpdate: now}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := ocsp.ParseResponseForCert(der, leaf, p.PersonCA()); err != nil || resp.Status != ocsp.Good || resp.Certificate != nil {
		t.Errorf("CA-signed response: %+v, %v", resp, err)
	}

	crl, err := p.PersonCRL([]*big.Int{leaf.SerialNumber}, 7, now, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	list, err := x509.ParseRevocationList(crl)
	if err != nil || list.CheckSignatureFrom(p.PersonCA()) != nil || list.Number.Int64() != 7 ||
		len(list.RevokedCertificateEntries) != 1 || list.RevokedCertificateEntries[0].SerialNumber.Cmp(leaf.SerialNumber) != 0 ||
		list.RevokedCertificateEntries[0].ReasonCode != ocsp.KeyCompromise {
		t.Errorf("PersonCRL: %+v, %v", list, err)
	}

	ca, err := p.ReissuePersonCA(CRL("http://crl.example/root.crl"))
	if err != nil {
		t.Fatal(err)
	}
	if ca.SerialNumber.Cmp(p.PersonCA().SerialNumber) == 0 || !slices.Equal(ca.CRLDistributionPoints, []string{"http://crl.example/root.crl"}) ||
		!ca.IsCA || ca.CheckSignatureFrom(p.Root()) != nil || leaf.CheckSignatureFrom(ca) != nil {
		t.Errorf("ReissuePersonCA: a CA certificate for the same key, from the root, with the option: %+v", ca)
	}
	rootCRL, err := p.RootCRL([]*big.Int{ca.SerialNumber}, 1, now, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if list, err := x509.ParseRevocationList(rootCRL); err != nil || list.CheckSignatureFrom(p.Root()) != nil || len(list.RevokedCertificateEntries) != 1 {
		t.Errorf("RootCRL: %+v, %v", list, err)
	}
}
