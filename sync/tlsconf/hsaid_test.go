package tlsconf

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"strings"
	"testing"

	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/devpki/devpkitest"
	"clinicgw/sync/wire/hsaid"
)

func TestHSAID(t *testing.T) {
	pki := newPKI(t)
	must := mustIssue(t)
	person, _, err := pki.Person(clinician, "Anna", "Läkare", devpki.KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	malformed, _, err := pki.Person("SE2321000016-P001\n", "Anna", "Läkare", devpki.KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	serialNumber := []int{2, 5, 4, 5}
	twice := devpkitest.SelfSigned(t, now, x509.Certificate{Subject: pkix.Name{CommonName: "x", ExtraNames: []pkix.AttributeTypeAndValue{
		{Type: serialNumber, Value: unit}, {Type: serialNumber, Value: otherUnit},
	}}})
	for _, tt := range []struct {
		name string
		cert *x509.Certificate
		want string
		err  error
	}{
		{"unit", must(pki.Unit(unit, "Test")).Leaf, unit, nil},
		{"person", person, clinician, nil},
		{"server: no serialNumber", must(pki.Server("localhost")).Leaf, "", ErrNoHSAID},
		{"nil", nil, "", ErrNoHSAID},
		{"malformed", malformed, "", hsaid.ErrMalformed},
		{"two serialNumbers", twice, "", hsaid.ErrMalformed},
	} {
		got, err := HSAID(tt.cert)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("%s: HSAID = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
}

func TestRequireHSAID(t *testing.T) {
	pki := newPKI(t)
	must := mustIssue(t)
	leaf := must(pki.Unit(unit, "Test")).Leaf
	if err := RequireHSAID(unit)(leaf); err != nil {
		t.Errorf("the right unit: %v", err)
	}
	err := RequireHSAID(otherUnit)(leaf)
	if !errors.Is(err, ErrWrongHSAID) || !strings.Contains(err.Error(), "belongs to "+unit+", not "+otherUnit) {
		t.Errorf("another unit: %v", err)
	}
	if err := RequireHSAID(unit)(must(pki.Server("localhost")).Leaf); !errors.Is(err, ErrNoHSAID) {
		t.Errorf("no HSA-ID: %v", err)
	}
	// A malformed requirement refuses everything, even its own value.
	odd := must(pki.Unit("SE2321000016-", "Test")).Leaf
	if err := RequireHSAID("SE2321000016-")(odd); !errors.Is(err, hsaid.ErrMalformed) || !strings.Contains(err.Error(), "configuration") {
		t.Errorf("malformed requirement: %v", err)
	}
}
