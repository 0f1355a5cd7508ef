package devpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/tlsconf"
)

// now is the tests' clock: every PKI is made at it and every chain is
// verified at it, so no test depends on the wall clock.
var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	unit      = "SE2321000016-A001"
	clinician = "SE2321000016-P001"
)

func newPKI(t *testing.T) *PKI {
	t.Helper()
	p, err := New(nil, now)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// verify checks cert against roots through the intermediate, for eku, at
// the time at.
func verify(cert *x509.Certificate, roots *x509.CertPool, inter *x509.Certificate, eku x509.ExtKeyUsage, at time.Time) error {
	pool := x509.NewCertPool()
	pool.AddCert(inter)
	_, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: pool, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{eku}})
	return err
}

func TestHierarchy(t *testing.T) {
	p := newPKI(t)
	for _, tt := range []struct {
		cert   *x509.Certificate
		name   string
		parent *x509.Certificate
	}{
		{p.Root(), RootName, p.Root()},
		{p.FunctionCA(), FunctionCAName, p.Root()},
		{p.PersonCA(), PersonCAName, p.Root()},
	} {
		c := tt.cert
		if c.Subject.CommonName != tt.name || !c.IsCA || !c.BasicConstraintsValid || c.KeyUsage&x509.KeyUsageCertSign == 0 {
			t.Errorf("%q: CA %v, key usage %b", c.Subject.CommonName, c.IsCA, c.KeyUsage)
		}
		if err := c.CheckSignatureFrom(tt.parent); err != nil {
			t.Errorf("%s: not signed by %s: %v", tt.name, tt.parent.Subject.CommonName, err)
		}
		if _, ok := c.PublicKey.(*ecdsa.PublicKey); !ok {
			t.Errorf("%s: %T key, want ECDSA", tt.name, c.PublicKey)
		}
		if c.NotBefore.After(now) || c.NotAfter.Before(now.AddDate(caYears, 0, 0)) {
			t.Errorf("%s: valid %v to %v", tt.name, c.NotBefore, c.NotAfter)
		}
	}
	if p.FunctionCA().MaxPathLen != 0 || !p.FunctionCA().MaxPathLenZero || !p.PersonCA().MaxPathLenZero {
		t.Error("the issuing CAs may issue further CAs")
	}
	if roots := p.Roots(); len(roots) != 1 || !roots[0].Equal(p.Root()) {
		t.Errorf("Roots() = %d certificates, want the root", len(roots))
	}
	if !strings.Contains(p.Root().Subject.CommonName, "NOT FOR PRODUCTION") {
		t.Error("the root does not say NOT FOR PRODUCTION")
	}
}

// TestChains: every kind of certificate verifies to the root, through its
// own CA only, for its own extended key usage only.
func TestChains(t *testing.T) {
	p := newPKI(t)
	srv, err := p.Server("localhost", "127.0.0.1", "::1")
	if err != nil {
		t.Fatal(err)
	}
	u, err := p.Unit(unit, "Vårdcentralen Test")
	if err != nil {
		t.Fatal(err)
	}
	ecCard, _, err := p.Person(clinician, "Anna", "Läkare", KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	rsaCard, _, err := p.Person(clinician, "Anna", "Läkare", KeyRSA2048)
	if err != nil {
		t.Fatal(err)
	}
	tokenKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader) // stands in for a key on a token
	if err != nil {
		t.Fatal(err)
	}
	tokenCard, err := p.IssuePerson(tokenKey.Public(), clinician, "Anna", "Läkare")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		cert   *x509.Certificate
		issuer *x509.Certificate
		eku    x509.ExtKeyUsage
	}{
		{"server", srv.Leaf, p.FunctionCA(), x509.ExtKeyUsageServerAuth},
		{"unit", u.Leaf, p.FunctionCA(), x509.ExtKeyUsageClientAuth},
		{"person ECDSA", ecCard, p.PersonCA(), x509.ExtKeyUsageClientAuth},
		{"person RSA", rsaCard, p.PersonCA(), x509.ExtKeyUsageClientAuth},
		{"person, key on a token", tokenCard, p.PersonCA(), x509.ExtKeyUsageClientAuth},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := verify(tt.cert, p.RootPool(), tt.issuer, tt.eku, now); err != nil {
				t.Errorf("to the root: %v", err)
			}
			own, other := p.FunctionCAPool(), p.PersonCAPool()
			if tt.issuer.Equal(p.PersonCA()) {
				own, other = other, own
			}
			if err := verify(tt.cert, own, tt.issuer, tt.eku, now); err != nil {
				t.Errorf("to its issuing CA: %v", err)
			}
			if err := verify(tt.cert, other, tt.issuer, tt.eku, now); err == nil {
				t.Error("verifies to the other issuing CA")
			}
			wrong := x509.ExtKeyUsageServerAuth
			if tt.eku == wrong {
				wrong = x509.ExtKeyUsageClientAuth
			}
			var eerr x509.CertificateInvalidError
			if err := verify(tt.cert, p.RootPool(), tt.issuer, wrong, now); !errors.As(err, &eerr) || eerr.Reason != x509.IncompatibleUsage {
				t.Errorf("for the wrong extended key usage: %v", err)
			}
			if len(tt.cert.ExtKeyUsage) != 1 || tt.cert.IsCA {
				t.Errorf("extended key usage %v, CA %v", tt.cert.ExtKeyUsage, tt.cert.IsCA)
			}
		})
	}
	// The TLS certificates carry their chain and their key.
	for _, c := range [][][]byte{srv.Certificate, u.Certificate} {
		if len(c) != 2 || !slices.Equal(c[1], p.FunctionCA().Raw) {
			t.Error("a TLS certificate's chain is not leaf, function CA")
		}
	}
	if srv.PrivateKey == nil || u.PrivateKey == nil {
		t.Error("a TLS certificate has no private key")
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := srv.Leaf.VerifyHostname(name); err != nil {
			t.Errorf("server name %s: %v", name, err)
		}
	}
	if _, err := p.Server(); err == nil {
		t.Error("a server certificate without names")
	}
}

func TestPersonProfile(t *testing.T) {
	p := newPKI(t)
	for _, alg := range []string{KeyECDSAP256, KeyRSA2048, ""} {
		c, key, err := p.Person(clinician, "Anna", "Läkare", alg)
		if err != nil {
			t.Fatal(err)
		}
		_, isRSA := key.(*rsa.PrivateKey)
		if isRSA != (alg == KeyRSA2048) {
			t.Errorf("%q: a %T key", alg, key)
		}
		if !key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(c.PublicKey) {
			t.Errorf("%q: the key is not the certificate's", alg)
		}
		want := x509.KeyUsageDigitalSignature
		if isRSA {
			want |= x509.KeyUsageKeyEncipherment
		}
		if c.KeyUsage != want || !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
			t.Errorf("%q: key usage %b, extended %v", alg, c.KeyUsage, c.ExtKeyUsage)
		}
		var given, sur string
		for _, n := range c.Subject.Names {
			switch {
			case n.Type.Equal(oidGivenName):
				given, _ = n.Value.(string)
			case n.Type.Equal(oidSurname):
				sur, _ = n.Value.(string)
			}
		}
		s := c.Subject
		if given != "Anna" || sur != "Läkare" || s.CommonName != "Anna Läkare" || s.SerialNumber != clinician || !slices.Equal(s.Country, []string{"SE"}) {
			t.Errorf("%q: subject %s, givenName %q, surname %q", alg, s, given, sur)
		}
		if err := c.CheckSignatureFrom(p.PersonCA()); err != nil {
			t.Errorf("%q: not issued by the person CA: %v", alg, err)
		}
	}

	// The signing certificate: nonRepudiation only, no extended key usage.
	// x509.Verify with clientAuth accepts such a chain (no EKU means any),
	// so login must check the key usage; this is the certificate to test
	// that with.
	sig, _, err := p.PersonSigning(clinician, "Anna", "Läkare", KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	if sig.KeyUsage != x509.KeyUsageContentCommitment || len(sig.ExtKeyUsage) != 0 || sig.Subject.SerialNumber != clinician {
		t.Errorf("signing certificate: key usage %b, extended %v, serialNumber %q", sig.KeyUsage, sig.ExtKeyUsage, sig.Subject.SerialNumber)
	}
	if err := verify(sig, p.RootPool(), p.PersonCA(), x509.ExtKeyUsageAny, now); err != nil {
		t.Errorf("signing certificate chain: %v", err)
	}

	if _, _, err := p.Person(clinician, "A", "B", "dsa"); err == nil || !strings.Contains(err.Error(), `unknown key algorithm "dsa"`) {
		t.Errorf("unknown key algorithm: %v", err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, pub := range []any{small.Public(), p521.Public(), edPub} {
		if _, err := p.IssuePerson(pub, clinician, "A", "B"); err == nil {
			t.Errorf("IssuePerson accepted a %T", pub)
		}
	}
}

func TestOptions(t *testing.T) {
	p := newPKI(t)
	from, to := now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0)
	ocsp, crl1, crl2 := "http://127.0.0.1:8888/ocsp", "http://127.0.0.1:8888/person.crl", "ldap://dev.invalid/person.crl"
	c, _, err := p.Person(clinician, "Anna", "Läkare", KeyECDSAP256, Validity(from, to), OCSP(ocsp), CRL(crl1, crl2))
	if err != nil {
		t.Fatal(err)
	}
	if !c.NotBefore.Equal(from) || !c.NotAfter.Equal(to) {
		t.Errorf("valid %v to %v, want %v to %v", c.NotBefore, c.NotAfter, from, to)
	}
	var inv x509.CertificateInvalidError
	if err := verify(c, p.RootPool(), p.PersonCA(), x509.ExtKeyUsageClientAuth, now); !errors.As(err, &inv) || inv.Reason != x509.Expired {
		t.Errorf("expired certificate: %v", err)
	}
	if !slices.Equal(c.OCSPServer, []string{ocsp}) || !slices.Equal(c.CRLDistributionPoints, []string{crl1, crl2}) {
		t.Errorf("OCSP %v, CRL %v", c.OCSPServer, c.CRLDistributionPoints)
	}
	u, err := p.Unit(unit, "Test", Validity(now.Add(time.Hour), now.AddDate(1, 0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(u.Leaf, p.RootPool(), p.FunctionCA(), x509.ExtKeyUsageClientAuth, now); !errors.As(err, &inv) || inv.Reason != x509.Expired {
		t.Errorf("not yet valid certificate: %v", err)
	}
	// Without options: valid now, for two years, no revocation URLs.
	d, _, err := p.Person(clinician, "Anna", "Läkare", KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	if d.NotBefore.After(now) || !d.NotAfter.Equal(now.AddDate(leafYears, 0, 0)) || d.OCSPServer != nil || d.CRLDistributionPoints != nil {
		t.Errorf("default: valid %v to %v, OCSP %v, CRL %v", d.NotBefore, d.NotAfter, d.OCSPServer, d.CRLDistributionPoints)
	}
}

// TestLeafWithinIssuer: late in the CAs' life, certificates end with them.
func TestLeafWithinIssuer(t *testing.T) {
	p := newPKI(t)
	late := now.AddDate(caYears-1, 6, 0)
	q := *p
	q.now = late
	u, err := q.Unit(unit, "Test")
	if err != nil {
		t.Fatal(err)
	}
	if !u.Leaf.NotAfter.Equal(p.FunctionCA().NotAfter) {
		t.Errorf("issued at %v: ends %v, its CA %v", late, u.Leaf.NotAfter, p.FunctionCA().NotAfter)
	}
}

// TestHSAIDRoundTrip: the HSA-ID given is the one tlsconf reads back.
func TestHSAIDRoundTrip(t *testing.T) {
	p := newPKI(t)
	for _, id := range []string{"SE2321000016-15ZM", "SE162321000255-O10951", "SE2321000016-" + strings.Repeat("z", 18)} {
		u, err := p.Unit(id, "Vårdcentralen Test")
		if err != nil {
			t.Fatal(err)
		}
		card, _, err := p.Person(id, "Anna", "Läkare", KeyECDSAP256)
		if err != nil {
			t.Fatal(err)
		}
		sig, _, err := p.PersonSigning(id, "Anna", "Läkare", KeyECDSAP256)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []*x509.Certificate{u.Leaf, card, sig} {
			if got, err := tlsconf.HSAID(c); got != id || err != nil {
				t.Errorf("%s: HSAID = %q, %v", id, got, err)
			}
			if err := tlsconf.RequireHSAID(id)(c); err != nil {
				t.Errorf("%s: RequireHSAID: %v", id, err)
			}
		}
	}
}
