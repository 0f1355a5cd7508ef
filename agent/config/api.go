package config

import (
	"net"
	"time"
)

// API is the integration API for the unit's own systems (its record
// system): FHIR R4 over HTTPS with mutual TLS (agent/fhirapi). With no
// listen address there is none. Which systems may call it, and what each
// may do, is the staff directory's systems section (login.directory_file,
// reloaded on change); the keys here apply at the next start.
type API struct {
	Listen string `toml:"listen" want:"host:port" doc:"The integration API (FHIR R4) for the unit's record system and other\nsystems on the clinic LAN: HTTPS, each system with its SITHS function\ncertificate and named in the staff directory's \"systems\" section.\nWhere it listens (host:port, like \":9444\"); empty: no integration API."`
	// CertFile and KeyFile are the API's server certificate and key (PEM).
	CertFile string `toml:"cert_file" want:"a file path" doc:"Its TLS certificate and key (PEM); empty: the web UI's."`
	KeyFile  string `toml:"key_file" want:"a file path"`
	// TrustAnchors are the SITHS root(s) the systems' certificates chain
	// to; FunctionCAs the function CA(s) that issue them: a certificate
	// from another CA under the same root (a person's card) is refused.
	TrustAnchors []string `toml:"trust_anchors" want:"PEM files" doc:"The SITHS root certificate(s) and the function CA certificate(s) that\nissue the systems' certificates (PEM); a person's certificate is refused."`
	FunctionCAs  []string `toml:"function_cas" want:"PEM files"`
	// RatePerMinute is each system's sustained request rate; 600 if 0.
	RatePerMinute int `toml:"rate_per_minute" want:"requests a minute" doc:"Requests a minute each system may make (bursts up to a tenth of it\nmore); 0: 600."`
	// ClientWriteRetention is how long a system's write with its own
	// identifier is remembered (cases.ServiceConfig.ClientWriteRetention).
	ClientWriteRetention string `toml:"client_write_retention" want:"a duration, like \"720h\"" doc:"How long a system's message with its own identifier is remembered: a\nretry within it is answered and sends nothing; after it, the identifier\nmakes a new message. 24h to 8760h; empty: 720h (30 days)."`
}

// DefaultAPIRate is api.rate_per_minute's default.
const DefaultAPIRate = 600

// DefaultClientWriteRetention is api.client_write_retention's default.
const DefaultClientWriteRetention = 30 * 24 * time.Hour

// ClientWrites is ClientWriteRetention as a duration (validated), or its
// default.
func (c API) ClientWrites() time.Duration {
	if d, err := time.ParseDuration(c.ClientWriteRetention); err == nil {
		return d
	}
	return DefaultClientWriteRetention
}

// Enabled reports whether the integration API is configured.
func (c API) Enabled() bool { return c.Listen != "" }

// Rate is RatePerMinute, or its default.
func (c API) Rate() int {
	if c.RatePerMinute == 0 {
		return DefaultAPIRate
	}
	return c.RatePerMinute
}

func (c API) validate(p *problems, ui UI, login Login) {
	bad := p.table("api")
	if c.ClientWriteRetention != "" {
		if d, err := time.ParseDuration(c.ClientWriteRetention); err != nil || d < 24*time.Hour || d > 8760*time.Hour {
			bad("client_write_retention", "%q: expected a duration from 24h to 8760h (a year), like \"720h\" (30 days)", c.ClientWriteRetention)
		}
	}
	if !c.Enabled() {
		return
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "%q: expected host:port, like \":9444\"", c.Listen)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		bad("cert_file", "set both api.cert_file and api.key_file, or neither (then the web UI's are used)")
	}
	if c.CertFile == "" && (ui.CertFile == "" || ui.KeyFile == "") {
		bad("cert_file", "the integration API needs a certificate: set api.cert_file and api.key_file, or ui.cert_file and ui.key_file")
	}
	if len(c.TrustAnchors) == 0 {
		bad("trust_anchors", "missing; expected the SITHS root certificate file(s)")
	}
	if len(c.FunctionCAs) == 0 {
		bad("function_cas", "missing; expected the SITHS function CA certificate file(s) that issue the systems' certificates")
	}
	if login.DirectoryFile == "" {
		bad("listen", "the integration API needs the staff directory (login.directory_file), whose \"systems\" section names who may call it")
	}
	if c.RatePerMinute < 0 || c.RatePerMinute > 100000 {
		bad("rate_per_minute", "%d: expected 1 to 100000 (0 for %d)", c.RatePerMinute, DefaultAPIRate)
	}
	for _, f := range []struct{ key, value string }{{"cert_file", c.CertFile}, {"key_file", c.KeyFile}} {
		if f.value != "" && !printable(f.value) {
			bad(f.key, "expected a file path on one line, without control characters")
		}
	}
}
