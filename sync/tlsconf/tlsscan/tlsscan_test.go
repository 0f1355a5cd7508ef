package tlsscan

import (
	"strings"
	"testing"
)

// TestJudge: the rules catch what they are for, on sslscan reports as
// sslscan 2.0 writes them.
func TestJudge(t *testing.T) {
	good := `  SSL/TLS Protocols:
SSLv2     disabled
SSLv3     disabled
TLSv1.0   disabled
TLSv1.1   disabled
TLSv1.2   enabled
TLSv1.3   enabled

  TLS renegotiation:
Session renegotiation not supported

  Heartbleed:
TLSv1.3 not vulnerable to heartbleed
TLSv1.2 not vulnerable to heartbleed

  Supported Server Cipher(s):
Preferred TLSv1.3  128 bits  TLS_AES_128_GCM_SHA256        Curve 25519 DHE 253
Accepted  TLSv1.3  256 bits  TLS_AES_256_GCM_SHA384        Curve 25519 DHE 253
Preferred TLSv1.2  128 bits  ECDHE-ECDSA-AES128-GCM-SHA256 Curve 25519 DHE 253
`
	if r := Judge(good); len(r.Problems) != 0 || r.Suites != 3 {
		t.Fatalf("a good report: %d suites, problems %v", r.Suites, r.Problems)
	}
	tests := []struct{ name, from, to, want string }{
		{"TLS 1.1 on", "TLSv1.1   disabled", "TLSv1.1   enabled", "TLSv1.1 is not reported disabled"},
		{"no TLS 1.3", "TLSv1.3   enabled", "TLSv1.3   disabled", "TLS 1.3 is not enabled"},
		{"CBC suite", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256", "weak suite"},
		{"no forward secrecy", "ECDHE-ECDSA-AES128-GCM-SHA256", "AES128-GCM-SHA256", "weak suite"},
		{"renegotiation", "Session renegotiation not supported", "Insecure session renegotiation supported", "renegotiation"},
		{"heartbleed", "TLSv1.2 not vulnerable to heartbleed", "TLSv1.2 vulnerable to heartbleed", "heartbleed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Judge(strings.Replace(good, tt.from, tt.to, 1))
			if !strings.Contains(strings.Join(r.Problems, "; "), tt.want) {
				t.Errorf("problems %v, want one with %q", r.Problems, tt.want)
			}
		})
	}
}
