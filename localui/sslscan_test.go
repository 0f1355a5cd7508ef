package localui_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"clinicgw/sync/tlsconf/tlsscan"
)

// TestSSLScan runs Debian's sslscan against the web UI as served (TL1):
// the same rules as for the sync API (tlsscan). Under CI (CI=true) a
// missing sslscan is a failure: .ci/deps installs it.
func TestSSLScan(t *testing.T) {
	c := startClinic(t)
	r, err := tlsscan.Scan(t.Context(), strings.TrimPrefix(c.origin, "https://"))
	if errors.Is(err, tlsscan.ErrNoSSLScan) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Error(p)
	}
	t.Logf("%d suites accepted, all AEAD with forward secrecy; SSLv2–TLS 1.1 disabled", r.Suites)
}
