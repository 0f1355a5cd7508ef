package devpki

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func verify(t *testing.T, p *PKI, cert *x509.Certificate, inter *x509.Certificate, eku x509.ExtKeyUsage) error {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(inter)
	_, err := cert.Verify(x509.VerifyOptions{Roots: p.RootPool(), Intermediates: pool, KeyUsages: []x509.ExtKeyUsage{eku}})
	return err
}

func TestChains(t *testing.T) {
	p, err := New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := p.Server("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(t, p, srv.Leaf, p.FunctionCA(), x509.ExtKeyUsageServerAuth); err != nil {
		t.Errorf("server: %v", err)
	}
	if err := srv.Leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Errorf("server IP SAN: %v", err)
	}
	u, err := p.Unit("SE2321000016-A001", "Vårdcentralen Test")
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(t, p, u.Leaf, p.FunctionCA(), x509.ExtKeyUsageClientAuth); err != nil {
		t.Errorf("unit: %v", err)
	}
	if u.Leaf.Subject.SerialNumber != "SE2321000016-A001" {
		t.Errorf("unit serialNumber %q", u.Leaf.Subject.SerialNumber)
	}
	for _, alg := range []string{"ecdsa-p256", "rsa-2048"} {
		c, _, err := p.Person("SE2321000016-P001", "Anna", "Läkare", alg)
		if err != nil {
			t.Fatal(err)
		}
		if err := verify(t, p, c, p.PersonCA(), x509.ExtKeyUsageClientAuth); err != nil {
			t.Errorf("%s person: %v", alg, err)
		}
		if err := verify(t, p, c, p.FunctionCA(), x509.ExtKeyUsageClientAuth); err == nil {
			t.Errorf("%s person certificate chains through the function CA", alg)
		}
		if c.KeyUsage&x509.KeyUsageDigitalSignature == 0 || (alg == "rsa-2048") != (c.KeyUsage&x509.KeyUsageKeyEncipherment != 0) {
			t.Errorf("%s key usage %b", alg, c.KeyUsage)
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
		if given != "Anna" || sur != "Läkare" || c.Subject.CommonName != "Anna Läkare" {
			t.Errorf("person name %q %q %q", given, sur, c.Subject.CommonName)
		}
	}
	sig, _, err := p.PersonSigning("SE2321000016-P001", "Anna", "Läkare", "ecdsa-p256")
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(t, p, sig, p.PersonCA(), x509.ExtKeyUsageClientAuth); err == nil && sig.KeyUsage&x509.KeyUsageDigitalSignature != 0 {
		t.Error("the signing certificate is usable for login")
	}
	if sig.KeyUsage != x509.KeyUsageContentCommitment {
		t.Errorf("signing key usage %b, want nonRepudiation only", sig.KeyUsage)
	}
	if _, _, err := p.Person("SE2321000016-P001", "A", "B", "dsa"); err == nil {
		t.Error("unknown key algorithm accepted")
	}
}

func TestWriteDirLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	p, err := New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"root.key", "function-ca.key", "person-ca.key"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	q, err := Load(dir, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !q.Root().Equal(p.Root()) || !q.PersonCA().Equal(p.PersonCA()) || !q.FunctionCA().Equal(p.FunctionCA()) {
		t.Fatal("loaded CAs differ")
	}
	// The loaded hierarchy issues certificates that the original trusts.
	u, err := q.Unit("SE2321000016-A001", "Test")
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(t, p, u.Leaf, p.FunctionCA(), x509.ExtKeyUsageClientAuth); err != nil {
		t.Errorf("certificate from the loaded CA: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "root.pem"), []byte("garbage"), 0o644)
	if _, err := Load(dir, nil, time.Now()); err == nil {
		t.Error("a damaged root.pem loaded")
	}
}
