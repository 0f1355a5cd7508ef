package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
)

// suites12 are the TLS 1.2 suites allowed: ECDHE key exchange (forward
// secrecy) with an AEAD cipher (AES-GCM, ChaCha20-Poly1305). TLS 1.3's
// suites are all of that kind and are not configurable in Go.
var suites12 = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// groups are the key exchanges allowed: the hybrid post-quantum
// X25519MLKEM768 (TLS 1.3 only; Go prefers it when both ends offer it, so
// recorded traffic stays secret even from a future quantum computer), then
// X25519, P-256 and P-384.
var groups = []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384}

// nextProtos are the ALPN protocols offered: HTTP/2 first.
var nextProtos = []string{"h2", "http/1.1"}

// ErrNoClientCAs refuses every handshake on a [Server] made without a
// client CA pool.
var ErrNoClientCAs = errors.New("tlsconf: the server has no client CA pool, so it refuses every client; " +
	"configure the CA that issues the clients' certificates, or use ServerNoClientCert for a server without client certificates")

// ErrNoVerifiedPeer is returned from the handshake when the peer presented
// no certificate that chains to the trusted CAs. The standard checks refuse
// such a peer first; this is the backstop.
var ErrNoVerifiedPeer = errors.New("tlsconf: the peer presented no verified certificate")

// base is what every configuration shares: versions, suites, groups, ALPN
// and our certificate (if any).
func base(cert tls.Certificate) *tls.Config {
	c := &tls.Config{
		MinVersion:       tls.VersionTLS12,
		CipherSuites:     slices.Clone(suites12),
		CurvePreferences: slices.Clone(groups),
		NextProtos:       slices.Clone(nextProtos),
	}
	if len(cert.Certificate) > 0 {
		c.Certificates = []tls.Certificate{cert}
	}
	return c
}

// peerCheck is the VerifyConnection callback: it runs after the standard
// chain verification, on every handshake including resumptions, and calls
// verify (if not nil) on the peer's verified leaf certificate.
func peerCheck(verify func(leaf *x509.Certificate) error) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
			return ErrNoVerifiedPeer
		}
		if verify == nil {
			return nil
		}
		if err := verify(cs.VerifiedChains[0][0]); err != nil {
			return fmt.Errorf("tlsconf: peer refused: %w", err)
		}
		return nil
	}
}

// Server returns the configuration of a server that requires mutual TLS,
// such as the central store's sync API. It presents cert (with its chain)
// and requires every client to present a certificate that chains to
// clientCAs and has the clientAuth extended key usage; then verify (if not
// nil) is called on the client's verified leaf certificate inside the
// handshake, and an error from it refuses the connection. Use
// RequireHSAID(id) as verify to admit one care unit, or a function that
// looks the HSA-ID up to admit several.
//
// Pool only the CA that issues the clients' certificates (for care units,
// SITHS's function CA), not a root that also issues other kinds (staff
// cards): Go treats every certificate in the pool as a trust anchor.
//
// A nil clientCAs never means "any client" or "the system's CAs": such a
// server refuses every handshake with ErrNoClientCAs. A server without
// client certificates is made with ServerNoClientCert.
//
// TLS 1.2 is the minimum and 1.3 is chosen when the client offers it; TLS
// 1.2 uses only ECDHE with AES-GCM or ChaCha20-Poly1305. ALPN offers h2 and
// http/1.1.
func Server(cert tls.Certificate, clientCAs *x509.CertPool, verify func(leaf *x509.Certificate) error) *tls.Config {
	c := base(cert)
	c.ClientAuth = tls.RequireAndVerifyClientCert
	c.ClientCAs = clientCAs
	if clientCAs == nil {
		// An empty pool trusts nothing (nil would mean the system's roots);
		// GetConfigForClient says why before any certificate is looked at.
		c.ClientCAs = x509.NewCertPool()
		c.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) { return nil, ErrNoClientCAs }
	}
	c.VerifyConnection = peerCheck(verify)
	return c
}

// ServerNoClientCert returns the configuration of a server that asks for
// no client certificate: the web UI on the clinic LAN, where staff log in
// by card inside the application. Versions, suites and ALPN are those of
// Server.
func ServerNoClientCert(cert tls.Certificate) *tls.Config {
	c := base(cert)
	c.ClientAuth = tls.NoClientCert
	return c
}

// Client returns the configuration of a client that presents cert (with
// its chain; an empty tls.Certificate presents none) and trusts only
// rootCAs for the server's certificate: the server's CA is pinned, the
// system's roots are never consulted, and a nil rootCAs trusts nothing, so
// every handshake fails. The server's certificate must be valid for
// serverName (empty: the host dialled, as net/http fills it in); then
// verify (if not nil) is called on its verified leaf certificate inside the
// handshake, and an error from it refuses the connection.
//
// Versions, suites and ALPN are those of Server. To speak HTTP/2 with it,
// give it to an http.Transport with ForceAttemptHTTP2 (or Protocols) set.
func Client(cert tls.Certificate, rootCAs *x509.CertPool, serverName string, verify func(leaf *x509.Certificate) error) *tls.Config {
	c := base(cert)
	c.RootCAs = rootCAs
	if rootCAs == nil {
		c.RootCAs = x509.NewCertPool() // nil would mean the system's roots
	}
	c.ServerName = serverName
	c.VerifyConnection = peerCheck(verify)
	return c
}
