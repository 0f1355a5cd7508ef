package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
)

// PublicClient returns the configuration of a client of a server outside
// the care unit's own PKI, with no client certificate: the mail server
// notices go through (SMTP with STARTTLS or implicit TLS), the SMS gateway,
// an OCSP or CRL server reached over https. It trusts rootCAs, a CA the
// configuration names, or the system's roots when rootCAs is nil: such
// servers have certificates from a public CA, and the operator names
// another when theirs has not. The server's certificate must be valid for
// serverName (empty: the host dialled, as net/http fills it in; smtp's
// StartTLS needs it set).
//
// Versions, suites and groups are those of Server; ALPN offers nothing,
// as the protocol is the caller's (an http.Transport adds h2 itself).
func PublicClient(rootCAs *x509.CertPool, serverName string) *tls.Config {
	c := base(tls.Certificate{})
	c.NextProtos = nil
	c.RootCAs = rootCAs // nil: the system's roots
	c.ServerName = serverName
	c.VerifyConnection = peerCheck(nil)
	return c
}

// NewTransport returns an http.Transport like http.DefaultTransport (the
// proxy from the environment, its dial, idle and handshake timeouts) whose
// TLS configuration is c, one made here. A nil c trusts nothing, so a
// transport meant for plain http never falls back on Go's default TLS
// configuration: every https request through it fails its handshake.
func NewTransport(c *tls.Config) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if c == nil {
		c = Client(tls.Certificate{}, nil, "", nil)
	}
	tr.TLSClientConfig = c
	return tr
}
