package central

import (
	"errors"
	"os"
	"strings"
	"testing"

	"clinicgw/sync/tlsconf/tlsscan"
)

// TestSSLScan runs Debian's sslscan, an outside TLS client, against the
// sync API as served (TL1): only TLS 1.2 and 1.3, only AEAD suites with
// forward secrecy, at least 128-bit strength, no renegotiation, no
// heartbleed (tlsscan's rules). Under CI (CI=true) a missing sslscan is a
// failure: .ci/deps installs it.
func TestSSLScan(t *testing.T) {
	e := newEnv(t)
	r, err := tlsscan.Scan(t.Context(), strings.TrimPrefix(e.api.URL, "https://"))
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
