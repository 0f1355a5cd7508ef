package central

import (
	"strings"
	"testing"

	"clinicgw/sync/tlsconf/tlsscan"
)

// TestSSLScan runs Debian's sslscan, an outside TLS client, against the
// sync API as served (TL1): only TLS 1.2 and 1.3, only AEAD suites with
// forward secrecy, at least 128-bit strength, no renegotiation, no
// heartbleed (tlsscan's rules).
func TestSSLScan(t *testing.T) {
	e := newEnv(t)
	tlsscan.Check(t.Context(), t, strings.TrimPrefix(e.api.URL, "https://"))
}
