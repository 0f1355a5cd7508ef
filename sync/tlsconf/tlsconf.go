package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"regexp"
)

// suites12 are the TLS 1.2 suites allowed: ECDHE key exchange (forward
// secrecy) with an AEAD cipher. TLS 1.3's suites are all of that kind and
// are not configurable in Go.
var suites12 = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

func base() *tls.Config {
	return &tls.Config{
		MinVersion:       tls.VersionTLS12,
		CipherSuites:     suites12,
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384},
	}
}

// leafCheck runs verify on the verified peer certificate.
func leafCheck(verify func(*x509.Certificate) error) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
			return errors.New("tlsconf: the peer presented no verified certificate")
		}
		if verify == nil {
			return nil
		}
		return verify(cs.VerifiedChains[0][0])
	}
}

// Server returns a server configuration. With clientCAs set, every client
// must present a certificate chaining to them, and verify (if not nil) is
// called on it during the handshake: an error refuses the connection.
func Server(cert tls.Certificate, clientCAs *x509.CertPool, verify func(*x509.Certificate) error) *tls.Config {
	c := base()
	c.Certificates = []tls.Certificate{cert}
	c.NextProtos = []string{"h2", "http/1.1"}
	if clientCAs != nil {
		c.ClientCAs = clientCAs
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.VerifyConnection = leafCheck(verify)
	}
	return c
}

// ServerNoClientCert returns a server configuration without client
// certificates, for the web UI on the clinic LAN (staff log in by card).
func ServerNoClientCert(cert tls.Certificate) *tls.Config {
	return Server(cert, nil, nil)
}

// Client returns a client configuration that presents cert, trusts only
// rootCAs for the server (pinning its CA, not the system's roots), expects
// serverName, and calls verify (if not nil) on the server's certificate.
func Client(cert tls.Certificate, rootCAs *x509.CertPool, serverName string, verify func(*x509.Certificate) error) *tls.Config {
	c := base()
	c.Certificates = []tls.Certificate{cert}
	c.RootCAs = rootCAs
	c.ServerName = serverName
	c.NextProtos = []string{"h2", "http/1.1"}
	c.VerifyConnection = leafCheck(verify)
	return c
}

// hsaIDPattern: country code SE, the organisation number (10 digits, or
// 12 with the 16 prefix), a hyphen and letters and digits; 31 characters
// at most.
var hsaIDPattern = regexp.MustCompile(`^SE(16)?[0-9]{10}-[A-Za-z0-9]+$`)

// ValidHSAID reports whether s has the shape of an HSA-ID.
func ValidHSAID(s string) bool { return len(s) <= 31 && hsaIDPattern.MatchString(s) }

// HSAID returns the HSA-ID in a certificate's subject serialNumber
// (OID 2.5.4.5).
func HSAID(cert *x509.Certificate) (string, error) {
	id := cert.Subject.SerialNumber
	switch {
	case id == "":
		return "", errors.New("the certificate names no HSA-ID (its subject has no serialNumber)")
	case !ValidHSAID(id):
		return "", errors.New("the certificate's subject serialNumber is not an HSA-ID")
	}
	return id, nil
}

// RequireHSAID returns a check that accepts only a certificate naming want.
func RequireHSAID(want string) func(*x509.Certificate) error {
	return func(cert *x509.Certificate) error {
		got, err := HSAID(cert)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("the certificate belongs to %s, not %s", got, want)
		}
		return nil
	}
}

// LoadKeyPair reads a PEM certificate chain and its key.
func LoadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return c, fmt.Errorf("certificate %s with key %s: %w", certFile, keyFile, err)
	}
	return c, nil
}

// LoadPool reads PEM CA certificates into a pool; a file with no
// certificate in it is an error.
func LoadPool(pemFiles ...string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	for _, f := range pemFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("CA certificates: %w", err)
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("CA certificates: %s holds no PEM certificate", f)
		}
	}
	return pool, nil
}
