package devpki

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/ocsp"
)

// Revocation for tests of the SITHS profile: a delegated OCSP responder,
// OCSP responses and CRLs signed by the person CA, as the real SITHS
// person CA's OCSP responder and CRL distribution point provide them.

// OCSPResponder issues a delegated OCSP responder certificate from the
// person CA, with the OCSPSigning extended key usage when signing is true
// (a responder without it must be refused), and its key.
func (p *PKI) OCSPResponder(signing bool, opts ...Option) (*x509.Certificate, crypto.Signer, error) {
	key, err := p.newKey(KeyECDSAP256)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		Subject:  pkix.Name{CommonName: "clinicgw DEV OCSP responder", Organization: []string{"clinicgw DEV"}, Country: []string{"SE"}},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if signing {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	cert, err := p.issue(p.person, tmpl, key.Public(), opts)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// SignOCSP makes an OCSP response about a person certificate with the
// fields of tmpl (Status, SerialNumber, ThisUpdate, NextUpdate,
// RevokedAt, RevocationReason). With a nil responder the person CA signs
// it itself; otherwise the responder's key signs and its certificate goes
// along.
func (p *PKI) SignOCSP(tmpl ocsp.Response, responder *x509.Certificate, key crypto.Signer) ([]byte, error) {
	if responder == nil {
		responder, key = p.person.cert, p.person.key
	} else {
		tmpl.Certificate = responder
	}
	der, err := ocsp.CreateResponse(p.person.cert, responder, tmpl, key)
	if err != nil {
		return nil, fmt.Errorf("devpki: OCSP response: %w", err)
	}
	return der, nil
}

// PersonCRL makes the person CA's CRL listing revoked serial numbers
// (reason keyCompromise, revoked an hour before thisUpdate), valid from
// thisUpdate to nextUpdate, with CRL number number.
func (p *PKI) PersonCRL(revoked []*big.Int, number int64, thisUpdate, nextUpdate time.Time) ([]byte, error) {
	return p.crl(p.person, revoked, number, thisUpdate, nextUpdate)
}

func (p *PKI) crl(issuer ca, revoked []*big.Int, number int64, thisUpdate, nextUpdate time.Time) ([]byte, error) {
	entries := make([]x509.RevocationListEntry, len(revoked))
	for i, sn := range revoked {
		entries[i] = x509.RevocationListEntry{SerialNumber: sn, RevocationTime: thisUpdate.Add(-time.Hour), ReasonCode: 1}
	}
	der, err := x509.CreateRevocationList(p.rand, &x509.RevocationList{
		Number: big.NewInt(number), ThisUpdate: thisUpdate, NextUpdate: nextUpdate, RevokedCertificateEntries: entries,
	}, issuer.cert, issuer.key)
	if err != nil {
		return nil, fmt.Errorf("devpki: CRL: %w", err)
	}
	return der, nil
}

// RootCRL makes the root CA's CRL listing revoked serial numbers (of the
// CAs it issued), valid from thisUpdate to nextUpdate, with CRL number
// number.
func (p *PKI) RootCRL(revoked []*big.Int, number int64, thisUpdate, nextUpdate time.Time) ([]byte, error) {
	return p.crl(p.root, revoked, number, thisUpdate, nextUpdate)
}

// ReissuePersonCA issues the person CA again from the root: the same
// subject and key, a new serial number, with the options (a CRL
// distribution point where the root publishes its CRL, as SITHS's person
// CA certificates name one). Person certificates chain through either.
func (p *PKI) ReissuePersonCA(opts ...Option) (*x509.Certificate, error) {
	old := p.person.cert
	sn, err := p.serial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: sn, Subject: old.Subject, NotBefore: old.NotBefore, NotAfter: old.NotAfter,
		KeyUsage: old.KeyUsage, BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true,
	}
	for _, o := range opts {
		o(tmpl)
	}
	der, err := x509.CreateCertificate(p.rand, tmpl, p.root.cert, p.person.key.Public(), p.root.key)
	if err != nil {
		return nil, fmt.Errorf("devpki: reissue %s: %w", PersonCAName, err)
	}
	return x509.ParseCertificate(der)
}
