package archive

import (
	"archive/tar"
	"bytes"
	"crypto"
	"crypto/x509"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

func tarReader(b []byte) *tar.Reader { return tar.NewReader(bytes.NewReader(b)) }

// FuzzVerify: whatever the bytes, Verify returns a manifest or an error,
// never panics; a package that verifies lists only files it holds.
func FuzzVerify(f *testing.F) {
	p, err := devpki.New(nil, time.Now().Add(-time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	tc, err := p.Unit(unit, "Vårdcentralen Arkiv")
	if err != nil {
		f.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(tc.Certificate[0])
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	c := &cases.Case{ID: "01kjprzb00f4s5jf3tmfd16d59", Unit: unit, Type: casetype.ContactMe, Status: cases.Closed,
		Patient:  cases.Person{PNR: personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 981), Name: "Test Testsson"},
		Messages: []cases.Message{{ID: "m1", Kind: cases.FromPatient, Author: "patient", Text: "Ring mig.", At: now}}, ReceivedAt: now}
	pkg, _, err := Build("seed", unit, []Item{{Case: c}}, now, Signer{Key: tc.PrivateKey.(crypto.Signer), Cert: leaf})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pkg)
	f.Add([]byte{})
	f.Add([]byte("not a tar file"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Verify(bytes.NewReader(b), nil)
		if err == nil && m == nil {
			t.Fatal("no error and no manifest")
		}
	})
}
