package main

import (
	"crypto/x509"
	"path/filepath"
	"strings"
	"testing"

	"clinicgw/sync/tlsconf"
)

func TestPKIDev(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	unit := "SE2321000016-15ZM"
	code, out, errOut := clinicgw(t, "pki", "dev", "--dir", dir, "--unit", unit)
	if code != 0 || !strings.Contains(out, "created a development PKI") {
		t.Fatalf("first run: %d\n%s%s", code, out, errOut)
	}
	root, err := tlsconf.LoadPool(filepath.Join(dir, "root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	// A second run reuses the CAs: the first root still anchors new certificates.
	code, out, errOut = clinicgw(t, "pki", "dev", "--dir", dir, "--unit", unit, "--server", "central.example")
	if code != 0 || !strings.Contains(out, "reusing") {
		t.Fatalf("second run: %d\n%s%s", code, out, errOut)
	}
	for _, tc := range []struct {
		name string
		eku  x509.ExtKeyUsage
		host string
	}{{"unit-" + unit, x509.ExtKeyUsageClientAuth, ""}, {"central", x509.ExtKeyUsageServerAuth, "central.example"}} {
		pair, err := tlsconf.LoadKeyPair(filepath.Join(dir, tc.name+".pem"), filepath.Join(dir, tc.name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := x509.ParseCertificate(pair.Certificate[0])
		inter := x509.NewCertPool()
		for _, der := range pair.Certificate[1:] {
			c, _ := x509.ParseCertificate(der)
			inter.AddCert(c)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: root, Intermediates: inter, DNSName: tc.host, KeyUsages: []x509.ExtKeyUsage{tc.eku}}); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if tc.eku == x509.ExtKeyUsageClientAuth {
			if id, err := tlsconf.HSAID(leaf); err != nil || id != unit {
				t.Errorf("unit certificate names %q, %v", id, err)
			}
		}
	}
	if code, _, errOut := clinicgw(t, "pki", "dev", "--dir", dir, "--unit", "nope"); code != 2 || !strings.Contains(errOut, "not an HSA-ID") {
		t.Errorf("bad --unit: %d %s", code, errOut)
	}
}
