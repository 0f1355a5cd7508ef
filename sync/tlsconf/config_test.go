package tlsconf

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"
)

// TestConfigs checks the fields of every configuration the package makes:
// what the handshake table cannot tell apart from Go's defaults.
func TestConfigs(t *testing.T) {
	pki := newPKI(t)
	must := mustIssue(t)
	cert := must(pki.Server("localhost"))
	pool := pki.RootPool()
	insecure := map[uint16]bool{}
	for _, s := range tls.InsecureCipherSuites() {
		insecure[s.ID] = true
	}
	for _, tt := range []struct {
		name string
		cfg  *tls.Config
		auth tls.ClientAuthType
	}{
		{"Server", Server(cert, pool, nil), tls.RequireAndVerifyClientCert},
		{"Server without client CAs", Server(cert, nil, nil), tls.RequireAndVerifyClientCert},
		{"ServerNoClientCert", ServerNoClientCert(cert), tls.NoClientCert},
		{"Client", Client(cert, pool, "localhost", nil), tls.NoClientCert},
		{"Client without roots", Client(cert, nil, "localhost", nil), tls.NoClientCert},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cfg
			if c.MinVersion != tls.VersionTLS12 || (c.MaxVersion != 0 && c.MaxVersion != tls.VersionTLS13) {
				t.Errorf("versions %#x..%#x", c.MinVersion, c.MaxVersion)
			}
			if c.InsecureSkipVerify {
				t.Error("InsecureSkipVerify")
			}
			if len(c.CipherSuites) == 0 {
				t.Error("no cipher suites: Go's defaults would apply")
			}
			for _, id := range c.CipherSuites {
				name := tls.CipherSuiteName(id)
				aead := strings.Contains(name, "_GCM_") || strings.Contains(name, "CHACHA20_POLY1305")
				if insecure[id] || !strings.HasPrefix(name, "TLS_ECDHE_") || !aead {
					t.Errorf("suite %s is not ECDHE with AEAD", name)
				}
			}
			if want := []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384}; !slices.Equal(c.CurvePreferences, want) {
				t.Errorf("groups %v, want %v", c.CurvePreferences, want)
			}
			if !slices.Equal(c.NextProtos, []string{"h2", "http/1.1"}) {
				t.Errorf("ALPN %v", c.NextProtos)
			}
			if len(c.Certificates) != 1 {
				t.Errorf("%d certificates, want 1", len(c.Certificates))
			}
			if c.ClientAuth != tt.auth {
				t.Errorf("client auth %v, want %v", c.ClientAuth, tt.auth)
			}
			if c.ClientAuth != tls.NoClientCert && (c.ClientCAs == nil || c.VerifyConnection == nil) {
				t.Error("client certificates required, but no CA pool (nil means the system's) or no VerifyConnection")
			}
			if strings.HasPrefix(tt.name, "Client") && (c.RootCAs == nil || c.VerifyConnection == nil) {
				t.Error("client without a root pool (nil means the system's) or without VerifyConnection")
			}
		})
	}
	// The given pools are the ones used, not copies or additions.
	if Server(cert, pool, nil).ClientCAs != pool || Client(cert, pool, "x", nil).RootCAs != pool {
		t.Error("a configuration does not use the pool it was given")
	}
	// Configurations share no slices: changing one changes no other.
	a, b := Server(cert, pool, nil), Server(cert, pool, nil)
	a.CipherSuites[0], a.CurvePreferences[0], a.NextProtos[0] = 0, 0, "x"
	if b.CipherSuites[0] == 0 || b.CurvePreferences[0] == 0 || b.NextProtos[0] == "x" {
		t.Error("configurations share their slices")
	}
	// A client with an empty certificate presents none.
	if c := Client(tls.Certificate{}, pool, "x", nil); len(c.Certificates) != 0 {
		t.Errorf("client with no certificate has %d", len(c.Certificates))
	}
}
