package tlsconf

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"strings"
	"testing"

	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/devpki/devpkitest"
)

func TestCheckHSAID(t *testing.T) {
	for _, tt := range []struct {
		id  string
		why string // "" for valid
	}{
		{"SE2321000016-15ZM", ""},
		{"SE162321000255-O10951", ""},
		{"SE165565594230-WEBCERT08113", ""},
		{"SE2321000016-a", ""},
		{"SE2321000016-" + strings.Repeat("A", 18), ""}, // 31 in all
		{"SE2321000016-" + strings.Repeat("A", 19), "32 characters"},
		{"", "country code"},
		{"SE", "organisation number"},
		{"se2321000016-15ZM", "country code"},
		{"2321000016-15ZM", "country code"},
		{"SE232100001-15ZM", "organisation number"},
		{"SE23210000161-15ZM", "organisation number"},
		{"SE172321000016-15ZM", "organisation number"},
		{"SE2321000016", "followed by \"-\""},
		{"SE2321000016_15ZM", "followed by \"-\""},
		{"SE2321000016-", "nothing follows"},
		{"SE2321000016-15ZM\n", "only the letters"},
		{"SE2321000016-15 ZM", "only the letters"},
		{"SE2321000016-15ÅM", "only the letters"},
		{"SE2321000016-15@M", "only the letters"},
		{"SE2321000016-15-ZM", "only the letters"},
	} {
		err := CheckHSAID(tt.id)
		if tt.why == "" {
			if err != nil || !ValidHSAID(tt.id) {
				t.Errorf("CheckHSAID(%q) = %v, want valid", tt.id, err)
			}
			continue
		}
		if err == nil || ValidHSAID(tt.id) {
			t.Errorf("CheckHSAID(%q) accepted it", tt.id)
			continue
		}
		if !errors.Is(err, ErrMalformedHSAID) || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("CheckHSAID(%q) = %v, want ErrMalformedHSAID saying %q", tt.id, err, tt.why)
		}
		if len(tt.id) > 4 && strings.Contains(err.Error(), tt.id) {
			t.Errorf("CheckHSAID(%q): the error repeats the value: %v", tt.id, err)
		}
	}
}

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
		{"malformed", malformed, "", ErrMalformedHSAID},
		{"two serialNumbers", twice, "", ErrMalformedHSAID},
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
	if err := RequireHSAID("SE2321000016-")(odd); !errors.Is(err, ErrMalformedHSAID) || !strings.Contains(err.Error(), "configuration") {
		t.Errorf("malformed requirement: %v", err)
	}
}
