package localui_test

import (
	"strings"
	"testing"

	"clinicgw/sync/tlsconf/tlsscan"
)

// TestSSLScan runs Debian's sslscan against the web UI as served (TL1):
// the same rules as for the sync API (tlsscan).
func TestSSLScan(t *testing.T) {
	c := startClinic(t)
	tlsscan.Check(t.Context(), t, strings.TrimPrefix(c.origin, "https://"))
}
