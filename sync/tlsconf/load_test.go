package tlsconf

import (
	"crypto/x509"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"clinicgw/cardauth/devpki"
)

// files writes a development PKI and some certificates to a folder.
func files(t *testing.T) (string, *devpki.PKI) {
	t.Helper()
	dir := t.TempDir()
	pki := newPKI(t)
	must := mustIssue(t)
	if err := pki.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := devpki.WriteTLS(dir, "unit", must(pki.Unit(unit, "Test"))); err != nil {
		t.Fatal(err)
	}
	if err := devpki.WriteTLS(dir, "other", must(pki.Unit(otherUnit, "Test"))); err != nil {
		t.Fatal(err)
	}
	return dir, pki
}

func write(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestLoadKeyPair(t *testing.T) {
	dir, pki := files(t)
	in := func(name string) string { return filepath.Join(dir, name) }

	pair, err := LoadKeyPair(in("unit.pem"), in("unit.key"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pair.Certificate) != 2 || pair.Leaf == nil {
		t.Fatalf("loaded %d certificates, leaf %v; want the leaf and its CA", len(pair.Certificate), pair.Leaf != nil)
	}
	inter, err := x509.ParseCertificate(pair.Certificate[1])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(inter)
	if _, err := pair.Leaf.Verify(x509.VerifyOptions{Roots: pki.RootPool(), Intermediates: pool, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("loaded chain: %v", err)
	}

	both := write(t, in("both.pem"), append(read(t, in("unit.pem")), read(t, in("unit.key"))...))
	for _, tt := range []struct {
		name, cert, key string
		is              error
		says            []string
	}{
		{"missing certificate", in("missing.pem"), in("unit.key"), fs.ErrNotExist, []string{"certificate file", "missing.pem"}},
		{"missing key", in("unit.pem"), in("missing.key"), fs.ErrNotExist, []string{"key file", "missing.key"}},
		{"key of another certificate", in("unit.pem"), in("other.key"), nil, []string{"unit.pem", "other.key", "does not match"}},
		{"key as certificate", in("unit.key"), in("unit.key"), nil, []string{"unit.key", "holds a private key"}},
		{"key in the certificate file", both, in("unit.key"), nil, []string{"both.pem", "holds a private key"}},
		{"certificate as key", in("unit.pem"), in("unit.pem"), nil, []string{"unit.pem", "key"}},
		{"empty certificate file", write(t, in("empty.pem"), nil), in("unit.key"), nil, []string{"empty.pem", "certificate"}},
	} {
		_, err := LoadKeyPair(tt.cert, tt.key)
		if err == nil {
			t.Errorf("%s: loaded", tt.name)
			continue
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%s: %v is not %v", tt.name, err, tt.is)
		}
		for _, s := range tt.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not say %q", tt.name, err, s)
			}
		}
	}
}

func TestLoadPool(t *testing.T) {
	dir, pki := files(t)
	in := func(name string) string { return filepath.Join(dir, name) }
	must := mustIssue(t)

	pool, err := LoadPool(in("root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if !pool.Equal(pki.RootPool()) {
		t.Error("the loaded pool is not the root alone")
	}
	pool, err = LoadPool(in("function-ca.pem"), in("person-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	u := must(pki.Unit(unit, "Test")).Leaf
	if _, err := u.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("a unit against the pooled function CA: %v", err)
	}

	root := read(t, in("root.pem"))
	corrupt := append(append([]byte{}, root...), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")...)
	for _, tt := range []struct {
		name  string
		files []string
		is    error
		says  []string
	}{
		{"no file", nil, nil, []string{"no CA certificate file"}},
		{"missing file", []string{in("root.pem"), in("missing.pem")}, fs.ErrNotExist, []string{"missing.pem"}},
		{"key file", []string{in("unit.key")}, nil, []string{"unit.key", `"PRIVATE KEY"`}},
		{"a leaf, not a CA", []string{in("unit.pem")}, nil, []string{"unit.pem", "certificate 1", "not a CA certificate"}},
		{"a good CA, then a corrupt one", []string{write(t, in("corrupt.pem"), corrupt)}, nil, []string{"corrupt.pem", "certificate 2"}},
		{"empty file", []string{write(t, in("empty.pem"), nil)}, nil, []string{"empty.pem", "no PEM certificate"}},
		{"DER file", []string{write(t, in("root.der"), pki.Root().Raw)}, nil, []string{"root.der", "no PEM certificate", "DER?"}},
	} {
		_, err := LoadPool(tt.files...)
		if err == nil {
			t.Errorf("%s: loaded", tt.name)
			continue
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%s: %v is not %v", tt.name, err, tt.is)
		}
		for _, s := range tt.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not say %q", tt.name, err, s)
			}
		}
	}
}
