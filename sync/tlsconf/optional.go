package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
)

// ServerClientCertIfGiven returns the configuration of a server that
// asks for a client certificate and verifies one that is given against
// clientCAs (chain and clientAuth extended key usage, inside the
// handshake, as Server), but also lets a client without one in: for an
// API that answers such a client in its own protocol (a FHIR
// OperationOutcome saying a certificate is needed) rather than with a TLS
// alert it cannot show. The handler must refuse a request whose
// connection has no verified chain. A nil clientCAs refuses every
// handshake with ErrNoClientCAs, as Server.
func ServerClientCertIfGiven(cert tls.Certificate, clientCAs *x509.CertPool) *tls.Config {
	c := Server(cert, clientCAs, nil)
	c.ClientAuth = tls.VerifyClientCertIfGiven
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return nil
		}
		return peerCheck(nil)(cs)
	}
	return c
}
