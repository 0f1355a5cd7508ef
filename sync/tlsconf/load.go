package tlsconf

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// LoadKeyPair reads a certificate with its chain (PEM, leaf first) from
// certFile and its private key (PEM: PKCS#8, PKCS#1 or SEC 1) from keyFile.
// The errors name the file and say what is wrong: missing, no PEM in it,
// a key that does not match the certificate, or a private key in the
// certificate file (which is usually readable by all: keep keys only in
// the key file, readable by the service alone).
func LoadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsconf: certificate file: %w", err)
	}
	if hasPrivateKey(certPEM) {
		return tls.Certificate{}, fmt.Errorf("tlsconf: certificate file %s holds a private key; "+
			"move the key to its own file, readable only by the service", certFile)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsconf: key file: %w", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsconf: certificate %s with key %s: %w", certFile, keyFile, err)
	}
	return pair, nil
}

// hasPrivateKey reports whether data holds a PEM private key block.
func hasPrivateKey(data []byte) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if strings.Contains(b.Type, "PRIVATE KEY") {
			return true
		}
	}
}

// LoadPool reads CA certificates (PEM) from one or more files into a pool,
// for the clientCAs of Server or the rootCAs of Client. It is strict, since
// the pool decides whom to trust: every file must hold at least one
// certificate and nothing but certificates, each one must parse and be a
// CA certificate, and at least one file must be given. The errors name the
// file and the certificate's place in it.
func LoadPool(pemFiles ...string) (*x509.CertPool, error) {
	if len(pemFiles) == 0 {
		return nil, errors.New("tlsconf: no CA certificate file given")
	}
	pool := x509.NewCertPool()
	for _, f := range pemFiles {
		certs, err := readCAs(f)
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
	}
	return pool, nil
}

// readCAs reads the CA certificates in one PEM file.
func readCAs(file string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: CA certificates: %w", err)
	}
	var certs []*x509.Certificate
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		n := len(certs) + 1
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("tlsconf: CA certificates: %s: PEM block %d is %q; a CA file holds only CERTIFICATE blocks", file, n, b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("tlsconf: CA certificates: %s: certificate %d: %w", file, n, err)
		}
		if !c.BasicConstraintsValid || !c.IsCA {
			return nil, fmt.Errorf("tlsconf: CA certificates: %s: certificate %d (%q) is not a CA certificate; "+
				"give the certificate of the CA that issued it", file, n, c.Subject.String())
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		why := "holds no PEM certificate"
		if len(bytes.TrimSpace(data)) > 0 && !bytes.Contains(data, []byte("-----BEGIN")) {
			why += " (DER? convert it: openssl x509 -inform der -in FILE -out FILE.pem)"
		}
		return nil, fmt.Errorf("tlsconf: CA certificates: %s %s", file, why)
	}
	return certs, nil
}
