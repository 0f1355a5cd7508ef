package tlsconf

import (
	"crypto/tls"
	"errors"
	"testing"
)

// TestServerClientCertIfGiven: a client without a certificate gets in
// (the handler says what it lacks); one with a certificate from a CA the
// server does not trust, or without clientAuth, is refused in the
// handshake; one the pool trusts gets in with its HSA-ID verified; a nil
// pool refuses everyone.
func TestServerClientCertIfGiven(t *testing.T) {
	pki := newPKI(t)
	other := newPKI(t)
	issue := mustIssue(t)
	srvCert := issue(pki.Server("127.0.0.1"))
	srv := atNow(ServerClientCertIfGiven(srvCert, pki.RootPool()))
	client := func(cert tls.Certificate) *tls.Config {
		return atNow(Client(cert, pki.RootPool(), "127.0.0.1", nil))
	}
	if s, c := handshake(t, srv, client(tls.Certificate{})); s.err != nil || c.err != nil || s.hsaID != "" {
		t.Errorf("no certificate: server %v, client %v, HSA-ID %q", s.err, c.err, s.hsaID)
	}
	if s, c := handshake(t, srv, client(issue(pki.Unit("SE2321000016-9001", "Journalsystemet")))); s.err != nil || c.err != nil || s.hsaID != "SE2321000016-9001" {
		t.Errorf("a trusted function certificate: server %v, client %v, HSA-ID %q", s.err, c.err, s.hsaID)
	}
	if s, _ := handshake(t, srv, client(issue(other.Unit("SE2321000016-9001", "Falsk")))); s.err == nil {
		t.Error("a certificate from a foreign CA got in")
	}
	if s, _ := handshake(t, srv, client(issue(pki.Server("klient")))); s.err == nil {
		t.Error("a certificate without clientAuth got in")
	}
	none := atNow(ServerClientCertIfGiven(srvCert, nil))
	if s, _ := handshake(t, none, client(tls.Certificate{})); !errors.Is(s.err, ErrNoClientCAs) {
		t.Errorf("nil pool: %v, want ErrNoClientCAs", s.err)
	}
}
