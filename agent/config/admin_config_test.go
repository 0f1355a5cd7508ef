package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestAdminLogConfig: the [admin] and [log] tables load, round-trip
// through Write, and every mistake names its key and says what is
// expected; a listener reachable from the network needs HTTPS and a
// bearer token.
func TestAdminLogConfig(t *testing.T) {
	uiTables := `
[login]
origin = "https://gw.example.se:8443"
trust_anchors = ["pki/root.pem"]
person_cas = ["pki/person-ca.pem"]
directory_file = "hsa.json"
[ui]
listen = ":8443"
cert_file = "pki/ui.pem"
key_file = "pki/ui.key"
`
	tests := []struct {
		name, content string
		wantErr       []string
	}{
		{"loopback, plain", "[admin]\nlisten = \"127.0.0.1:9443\"\n", nil},
		{"::1", "[admin]\nlisten = \"[::1]:9443\"\nsync_lag_limit = \"10m\"\n[log]\nformat = \"json\"\nlevel = \"debug\"\n", nil},
		{"LAN with the UI's certificate and a token", uiTables + "[admin]\nlisten = \":9443\"\ntls = true\ntoken_file = \"admin.token\"\n", nil},
		{"LAN with its own certificate", "[admin]\nlisten = \"10.1.2.3:9443\"\ntls = true\ncert_file = \"a.pem\"\nkey_file = \"a.key\"\ntoken_file = \"t\"\n", nil},
		{"LAN in clear", "[admin]\nlisten = \":9443\"\n", []string{"admin.listen", "reachable from the network", "admin.tls = true", "admin.token_file"}},
		{"LAN without a token", uiTables + "[admin]\nlisten = \"0.0.0.0:9443\"\ntls = true\n", []string{"admin.listen", "admin.token_file"}},
		{"TLS without any certificate", "[admin]\nlisten = \"127.0.0.1:9443\"\ntls = true\n", []string{"admin.cert_file", "ui.cert_file"}},
		{"half a key pair", "[admin]\nlisten = \"127.0.0.1:9443\"\ntls = true\ncert_file = \"a.pem\"\n", []string{"admin.cert_file", "both"}},
		{"certificate without tls", "[admin]\nlisten = \"127.0.0.1:9443\"\ncert_file = \"a.pem\"\nkey_file = \"a.key\"\n", []string{"admin.tls", "tls = true"}},
		{"no port", "[admin]\nlisten = \"127.0.0.1\"\n", []string{"admin.listen", "host:port"}},
		{"lag limit", "[admin]\nsync_lag_limit = \"5m\"\n", []string{"admin.sync_lag_limit", "from 6m", "to 24h"}},
		{"lag limit type", "[admin]\nsync_lag_limit = 5\n", []string{"admin.sync_lag_limit", "expected a quoted string (a duration"}},
		{"tls type", "[admin]\ntls = \"yes\"\n", []string{":9:", "admin.tls", "expected true or false"}},
		{"log format", "[log]\nformat = \"xml\"\n", []string{"log.format", `"text" or "json"`}},
		{"log level", "[log]\nlevel = \"verbose\"\n", []string{"log.level", `"debug", "info", "warn" or "error"`}},
		{"typo", "[admin]\nlistn = \"127.0.0.1:9443\"\n", []string{`unknown key "admin.listn"`, `did you mean "admin.listen"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), FileName, validConfig+tt.content)
			c, err := Load(p)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("LoadConfig: %v", err)
				}
				out := filepath.Join(t.TempDir(), FileName)
				if err := c.Write(out); err != nil {
					t.Fatal(err)
				}
				got, err := Load(out)
				if err != nil || got.Admin != c.Admin || got.Log != c.Log {
					t.Errorf("round trip: %+v %+v, %v; want %+v %+v", got.Admin, got.Log, err, c.Admin, c.Log)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadConfig succeeded, want an error with %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}
