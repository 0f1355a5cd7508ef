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

// The names of the three CAs, in their certificates' subject CN.
const (
	RootName       = "clinicgw DEV Root CA v1 - NOT FOR PRODUCTION"
	FunctionCAName = "DEV SITHS Function CA v1"
	PersonCAName   = "DEV SITHS e-id Person ID CA v1"
)

// Key algorithms for Person and PersonSigning.
const (
	KeyECDSAP256 = "ecdsa-p256" // the default
	KeyECDSAP384 = "ecdsa-p384"
	KeyRSA2048   = "rsa-2048"
)

// Validity periods: CAs ten years, other certificates two (never beyond
// their issuer's). Both start an hour before now, for clock skew.
const (
	caYears   = 10
	leafYears = 2
	backdate  = time.Hour
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

// PKI is a development certificate hierarchy: a root CA, a function CA
// (servers and care units) and a person CA (staff cards), both issued by
// the root. Certificates it issues are valid from the time given to New
// or Load. A PKI is safe for concurrent use if its random source is.
type PKI struct {
	rand     io.Reader
	now      time.Time
	root     ca
	function ca
	person   ca
}

// Option changes a certificate before it is issued: validity, revocation
// URLs. Options apply to Unit, Person, PersonSigning and IssuePerson.
type Option func(*x509.Certificate)

// Validity sets the certificate's validity period, to make expired or not
// yet valid certificates for tests. The issuer's own period is not
// checked: a certificate may claim to outlive its CA.
func Validity(notBefore, notAfter time.Time) Option {
	return func(c *x509.Certificate) { c.NotBefore, c.NotAfter = notBefore, notAfter }
}

// OCSP sets the OCSP responder URLs in the certificate's Authority
// Information Access extension.
func OCSP(urls ...string) Option {
	return func(c *x509.Certificate) { c.OCSPServer = append([]string(nil), urls...) }
}

// CRL sets the certificate's CRL distribution point URLs.
func CRL(urls ...string) Option {
	return func(c *x509.Certificate) { c.CRLDistributionPoints = append([]string(nil), urls...) }
}

// New makes a new hierarchy whose CAs are valid from now (less an hour)
// for ten years. A nil random means crypto/rand. Since Go 1.26 the
// standard library makes keys and ECDSA signatures from its own secure
// source whatever random is; random still draws the serial numbers.
func New(random io.Reader, now time.Time) (*PKI, error) {
	if random == nil {
		random = rand.Reader
	}
	p := &PKI{rand: random, now: now}
	var err error
	if p.root, err = p.newCA(RootName, nil); err != nil {
		return nil, err
	}
	if p.function, err = p.newCA(FunctionCAName, &p.root); err != nil {
		return nil, err
	}
	if p.person, err = p.newCA(PersonCAName, &p.root); err != nil {
		return nil, err
	}
	return p, nil
}

// serial returns a random positive serial number of at most 128 bits.
func (p *PKI) serial() (*big.Int, error) {
	n, err := rand.Int(p.rand, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("devpki: serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

func (p *PKI) newKey(alg string) (crypto.Signer, error) {
	var (
		key crypto.Signer
		err error
	)
	switch alg {
	case "", KeyECDSAP256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), p.rand)
	case KeyECDSAP384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), p.rand)
	case KeyRSA2048:
		key, err = rsa.GenerateKey(p.rand, 2048)
	default:
		return nil, fmt.Errorf("devpki: unknown key algorithm %q (want %s, %s or %s)", alg, KeyECDSAP256, KeyECDSAP384, KeyRSA2048)
	}
	if err != nil {
		return nil, fmt.Errorf("devpki: generate %s key: %w", alg, err)
	}
	return key, nil
}

func (p *PKI) newCA(name string, parent *ca) (ca, error) {
	key, err := p.newKey(KeyECDSAP256)
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
		NotBefore:             p.now.Add(-backdate),
		NotAfter:              p.now.AddDate(caYears, 0, 0),
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
		return ca{}, fmt.Errorf("devpki: parse %s: %w", name, err)
	}
	return ca{cert: cert, key: key}, nil
}

// issue signs a certificate for pub under issuer: valid from now (less an
// hour) for two years but not beyond the issuer, then the options.
func (p *PKI) issue(issuer ca, tmpl *x509.Certificate, pub crypto.PublicKey, opts []Option) (*x509.Certificate, error) {
	sn, err := p.serial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = sn
	tmpl.NotBefore, tmpl.NotAfter = p.now.Add(-backdate), p.now.AddDate(leafYears, 0, 0)
	if tmpl.NotAfter.After(issuer.cert.NotAfter) {
		tmpl.NotAfter = issuer.cert.NotAfter
	}
	tmpl.BasicConstraintsValid = true
	for _, o := range opts {
		o(tmpl)
	}
	der, err := x509.CreateCertificate(p.rand, tmpl, issuer.cert, pub, issuer.key)
	if err != nil {
		return nil, fmt.Errorf("devpki: issue %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("devpki: parse %q: %w", tmpl.Subject.CommonName, err)
	}
	return cert, nil
}

// tlsCert makes an ECDSA P-256 key and a certificate for it, with the
// issuing CA's certificate as the chain.
func (p *PKI) tlsCert(issuer ca, tmpl *x509.Certificate, opts []Option) (tls.Certificate, error) {
	key, err := p.newKey(KeyECDSAP256)
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

// Server issues a TLS server certificate, by the function CA, for the
// given DNS names and IP addresses (the first one is also the subject CN):
// ECDSA P-256, extended key usage serverAuth, chain included.
func (p *PKI) Server(names ...string) (tls.Certificate, error) {
	if len(names) == 0 {
		return tls.Certificate{}, errors.New("devpki: a server certificate needs at least one DNS name or IP address")
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

// Unit issues a care unit's (a gateway's) TLS client certificate, by the
// function CA: subject CN name, serialNumber hsaID, O and C=SE; ECDSA
// P-256, extended key usage clientAuth, chain included. hsaID is not
// checked, so tests can make malformed ones.
func (p *PKI) Unit(hsaID, name string, opts ...Option) (tls.Certificate, error) {
	tmpl := &x509.Certificate{
		Subject: pkix.Name{CommonName: name, SerialNumber: hsaID,
			Organization: []string{"DEV Region"}, Country: []string{"SE"}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return p.tlsCert(p.function, tmpl, opts)
}

// personName is a SITHS person's subject: serialNumber (the HSA-ID), CN
// "given surname", givenName, surname and C=SE.
func personName(hsaID, given, surname string) pkix.Name {
	return pkix.Name{
		CommonName: given + " " + surname, SerialNumber: hsaID, Country: []string{"SE"},
		ExtraNames: []pkix.AttributeTypeAndValue{
			{Type: oidGivenName, Value: given},
			{Type: oidSurname, Value: surname},
		},
	}
}

// checkCardKey accepts the public keys a card holds: ECDSA P-256 or P-384,
// RSA of 2048 bits or more.
func checkCardKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() || k.Curve == elliptic.P384() {
			return nil
		}
		return fmt.Errorf("devpki: ECDSA key on %s; a card key is on P-256 or P-384", k.Curve.Params().Name)
	case *rsa.PublicKey:
		if k.N.BitLen() >= 2048 {
			return nil
		}
		return fmt.Errorf("devpki: RSA key of %d bits; a card key has at least 2048", k.N.BitLen())
	}
	return fmt.Errorf("devpki: a %T is not a card key (want ECDSA or RSA)", pub)
}

// IssuePerson issues a staff card's authentication certificate, by the
// person CA, for a public key made elsewhere: on a token such as SoftHSM2,
// so that the private key never leaves it. Like SITHS's: subject
// serialNumber hsaID, CN "given surname", givenName, surname, C=SE; key
// usage digitalSignature (and keyEncipherment for RSA); extended key usage
// clientAuth. The key must be ECDSA P-256 or P-384, or RSA of at least
// 2048 bits. hsaID is not checked, so tests can make malformed ones.
func (p *PKI) IssuePerson(pub crypto.PublicKey, hsaID, given, surname string, opts ...Option) (*x509.Certificate, error) {
	if err := checkCardKey(pub); err != nil {
		return nil, err
	}
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

// Person makes a key (keyAlg KeyECDSAP256, the default when empty, or
// KeyRSA2048) and a staff card's authentication certificate for it, as
// IssuePerson. The certificate's chain is PersonCA, then Root.
func (p *PKI) Person(hsaID, givenName, surname string, keyAlg string, opts ...Option) (cert *x509.Certificate, key crypto.Signer, err error) {
	key, err = p.newKey(keyAlg)
	if err != nil {
		return nil, nil, err
	}
	cert, err = p.IssuePerson(key.Public(), hsaID, givenName, surname, opts...)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// PersonSigning makes a key and the separate signing certificate a SITHS
// card also holds, by the person CA, with the same subject as Person's:
// key usage nonRepudiation only and no extended key usage. Login must
// refuse it; note that x509.Verify with ExtKeyUsageClientAuth accepts its
// chain (no extended key usage means any), so the login check must look at
// the key usage.
func (p *PKI) PersonSigning(hsaID, givenName, surname string, keyAlg string, opts ...Option) (cert *x509.Certificate, key crypto.Signer, err error) {
	key, err = p.newKey(keyAlg)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{Subject: personName(hsaID, givenName, surname), KeyUsage: x509.KeyUsageContentCommitment}
	cert, err = p.issue(p.person, tmpl, key.Public(), opts)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// Root returns the root CA's certificate.
func (p *PKI) Root() *x509.Certificate { return p.root.cert }

// Roots returns the trust anchors: the root CA's certificate alone.
func (p *PKI) Roots() []*x509.Certificate { return []*x509.Certificate{p.root.cert} }

// FunctionCA returns the certificate of the CA that issues servers and
// care units.
func (p *PKI) FunctionCA() *x509.Certificate { return p.function.cert }

// PersonCA returns the certificate of the CA that issues staff cards.
func (p *PKI) PersonCA() *x509.Certificate { return p.person.cert }

// RootPool returns a new pool holding only the root CA. It anchors every
// certificate the PKI issues, servers, units and staff cards alike.
func (p *PKI) RootPool() *x509.CertPool { return pool(p.root.cert) }

// FunctionCAPool returns a new pool holding only the function CA: the
// client CAs for a server that must admit care units and nothing else
// (a staff card does not chain to it).
func (p *PKI) FunctionCAPool() *x509.CertPool { return pool(p.function.cert) }

// PersonCAPool returns a new pool holding only the person CA: the trust
// anchor for staff card logins (a care unit's certificate does not chain
// to it).
func (p *PKI) PersonCAPool() *x509.CertPool { return pool(p.person.cert) }

func pool(c *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c)
	return p
}
