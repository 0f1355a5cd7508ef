package tlsconf

import (
	"crypto/tls"
	"testing"
	"time"

	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/devpki/devpkitest"
)

// now is the tests' clock: the PKI is made at it and every TLS
// configuration in the tests reads it (tls.Config.Time), so no test
// depends on the wall clock.
var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	unit      = "SE2321000016-A001"
	otherUnit = "SE2321000016-B002"
	clinician = "SE2321000016-P001"
)

func newPKI(t *testing.T) *devpki.PKI { return devpkitest.New(t, now) }

// mustIssue returns a function that unwraps an issued certificate or
// fails the test.
func mustIssue(t *testing.T) func(tls.Certificate, error) tls.Certificate {
	return func(c tls.Certificate, err error) tls.Certificate {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

// atNow makes cfg read the tests' clock.
func atNow(cfg *tls.Config) *tls.Config {
	cfg.Time = func() time.Time { return now }
	return cfg
}
