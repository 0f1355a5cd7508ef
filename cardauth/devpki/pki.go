package devpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"
)

// OIDs of the name attributes SITHS person certificates carry beside CN.
var (
	oidGivenName = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidSurname   = asn1.ObjectIdentifier{2, 5, 4, 4}
)

// ca is one certificate authority: its certificate and key.
type ca struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// PKI is a development certificate hierarchy.
type PKI struct {
	rand     io.Reader
	now      time.Time
	root     ca
	function ca
	person   ca
}

// Option changes an issued certificate.
type Option func(*x509.Certificate)

// Validity sets the certificate's validity period (for expired or not yet
// valid certificates in tests).
func Validity(notBefore, notAfter time.Time) Option {
	return func(c *x509.Certificate) { c.NotBefore, c.NotAfter = notBefore, notAfter }
}

// OCSP sets the OCSP responder URL in the certificate.
func OCSP(url string) Option {
	return func(c *x509.Certificate) { c.OCSPServer = []string{url} }
}

// CRL sets the CRL distribution point in the certificate.
func CRL(url string) Option {
	return func(c *x509.Certificate) { c.CRLDistributionPoints = []string{url} }
}

// New makes a new hierarchy valid from now for ten years.
func New(random io.Reader, now time.Time) (*PKI, error) {
	if random == nil {
		random = rand.Reader
	}
	p := &PKI{rand: random, now: now}
	var err error
	if p.root, err = p.newCA("clinicgw DEV Root CA v1 - NOT FOR PRODUCTION", nil); err != nil {
		return nil, err
	}
	if p.function, err = p.newCA("DEV SITHS Function CA v1", &p.root); err != nil {
		return nil, err
	}
	if p.person, err = p.newCA("DEV SITHS e-id Person ID CA v1", &p.root); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *PKI) serial() (*big.Int, error) {
	return rand.Int(p.rand, new(big.Int).Lsh(big.NewInt(1), 127))
}

func (p *PKI) newKey(alg string) (crypto.Signer, error) {
	switch alg {
	case "", "ecdsa-p256":
		return ecdsa.GenerateKey(elliptic.P256(), p.rand)
	case "rsa-2048":
		return rsa.GenerateKey(p.rand, 2048)
	}
	return nil, fmt.Errorf("devpki: unknown key algorithm %q (want ecdsa-p256 or rsa-2048)", alg)
}

func (p *PKI) newCA(name string, parent *ca) (ca, error) {
	key, err := p.newKey("ecdsa-p256")
	if err != nil {
		return ca{}, err
	}
	sn, err := p.serial()
	if err != nil {
		return ca{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"clinicgw DEV"}, Country: []string{"SE"}},
		NotBefore:             p.now.Add(-time.Hour),
		NotAfter:              p.now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            1,
	}
	signer, parentCert := key, tmpl
	if parent != nil {
		signer, parentCert = parent.key, parent.cert
		tmpl.MaxPathLen, tmpl.MaxPathLenZero = 0, true
	}
	der, err := x509.CreateCertificate(p.rand, tmpl, parentCert, key.Public(), signer)
	if err != nil {
		return ca{}, fmt.Errorf("devpki: issue %s: %w", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return ca{}, err
	}
	return ca{cert: cert, key: key}, nil
}

// issue signs a leaf certificate for pub under issuer.
func (p *PKI) issue(issuer ca, tmpl *x509.Certificate, pub crypto.PublicKey, opts []Option) (*x509.Certificate, error) {
	sn, err := p.serial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = sn
	tmpl.NotBefore, tmpl.NotAfter = p.now.Add(-time.Hour), p.now.AddDate(2, 0, 0)
	tmpl.BasicConstraintsValid = true
	for _, o := range opts {
		o(tmpl)
	}
	der, err := x509.CreateCertificate(p.rand, tmpl, issuer.cert, pub, issuer.key)
	if err != nil {
		return nil, fmt.Errorf("devpki: issue %q: %w", tmpl.Subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

func (p *PKI) tlsCert(issuer ca, tmpl *x509.Certificate, opts []Option) (tls.Certificate, error) {
	key, err := p.newKey("ecdsa-p256")
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := p.issue(issuer, tmpl, key.Public(), opts)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{
		Certificate: [][]byte{cert.Raw, issuer.cert.Raw},
		PrivateKey:  key,
		Leaf:        cert,
	}, nil
}

// Server issues a TLS server certificate for the given DNS names and IP
// addresses, by the function CA, with its chain.
func (p *PKI) Server(names ...string) (tls.Certificate, error) {
	if len(names) == 0 {
		return tls.Certificate{}, errors.New("devpki: a server certificate needs at least one name")
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: names[0], Organization: []string{"DEV Region"}, Country: []string{"SE"}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	return p.tlsCert(p.function, tmpl, nil)
}

// Unit issues a care unit's (gateway's) client certificate, by the
// function CA: the unit's name as CN and its HSA-ID as serialNumber.
func (p *PKI) Unit(hsaID, name string, opts ...Option) (tls.Certificate, error) {
	tmpl := &x509.Certificate{
		Subject: pkix.Name{CommonName: name, SerialNumber: hsaID,
			Organization: []string{"DEV Region"}, Country: []string{"SE"}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return p.tlsCert(p.function, tmpl, opts)
}

func personName(hsaID, given, surname string) pkix.Name {
	return pkix.Name{
		CommonName: given + " " + surname, SerialNumber: hsaID, Country: []string{"SE"},
		ExtraNames: []pkix.AttributeTypeAndValue{
			{Type: oidGivenName, Value: given},
			{Type: oidSurname, Value: surname},
		},
	}
}

// IssuePerson issues a staff card's authentication certificate for a key
// made elsewhere (on a token, where it stays): HSA-ID in serialNumber,
// digitalSignature (and keyEncipherment for RSA), clientAuth.
func (p *PKI) IssuePerson(pub crypto.PublicKey, hsaID, given, surname string, opts ...Option) (*x509.Certificate, error) {
	ku := x509.KeyUsageDigitalSignature
	if _, ok := pub.(*rsa.PublicKey); ok {
		ku |= x509.KeyUsageKeyEncipherment
	}
	tmpl := &x509.Certificate{
		Subject:     personName(hsaID, given, surname),
		KeyUsage:    ku,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return p.issue(p.person, tmpl, pub, opts)
}

// Person makes a key (keyAlg "ecdsa-p256" or "rsa-2048") and a staff
// card's authentication certificate for it.
func (p *PKI) Person(hsaID, given, surname, keyAlg string, opts ...Option) (*x509.Certificate, crypto.Signer, error) {
	key, err := p.newKey(keyAlg)
	if err != nil {
		return nil, nil, err
	}
	cert, err := p.IssuePerson(key.Public(), hsaID, given, surname, opts...)
	return cert, key, err
}

// PersonSigning makes the separate signing certificate a SITHS card also
// holds: nonRepudiation only, so it must never be accepted for login.
func (p *PKI) PersonSigning(hsaID, given, surname, keyAlg string, opts ...Option) (*x509.Certificate, crypto.Signer, error) {
	key, err := p.newKey(keyAlg)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{Subject: personName(hsaID, given, surname), KeyUsage: x509.KeyUsageContentCommitment}
	cert, err := p.issue(p.person, tmpl, key.Public(), opts)
	return cert, key, err
}

// Root returns the root CA's certificate.
func (p *PKI) Root() *x509.Certificate { return p.root.cert }

// FunctionCA returns the CA certificate that issues servers and units.
func (p *PKI) FunctionCA() *x509.Certificate { return p.function.cert }

// PersonCA returns the CA certificate that issues staff cards.
func (p *PKI) PersonCA() *x509.Certificate { return p.person.cert }

// RootPool returns a pool holding only the root CA: what both ends of the
// sync trust.
func (p *PKI) RootPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.root.cert)
	return pool
}
