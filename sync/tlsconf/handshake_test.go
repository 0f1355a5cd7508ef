package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"clinicgw/cardauth/devpki"
)

// seen is what one side of a handshake saw.
type seen struct {
	err     error
	hsaID   string // the client's HSA-ID, as the server sees it
	version uint16
	group   tls.CurveID
	alpn    string
	resumed bool
}

// handshake runs one real TLS handshake over TCP on loopback between a
// server with srv and a client with cli, then one byte each way (in TLS
// 1.3 the server checks the client's certificate after the client's
// Handshake has returned; the exchange brings a refusal to the client).
// The deadlines only keep a broken test from hanging.
func handshake(t *testing.T, srv, cli *tls.Config) (server, client seen) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan seen, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- seen{err: err}
			return
		}
		tc := tls.Server(c, srv)
		defer tc.Close()
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			done <- seen{err: err}
			return
		}
		cs := tc.ConnectionState()
		s := seen{version: cs.Version, group: cs.CurveID, alpn: cs.NegotiatedProtocol, resumed: cs.DidResume}
		if len(cs.VerifiedChains) > 0 {
			if s.hsaID, err = HSAID(cs.VerifiedChains[0][0]); err != nil {
				s.err = err
			}
		}
		b := make([]byte, 1)
		if _, err := io.ReadFull(tc, b); err != nil && s.err == nil {
			s.err = err
		}
		tc.Write(b)
		done <- s
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(conn, cli)
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	if client.err = tc.Handshake(); client.err == nil {
		cs := tc.ConnectionState()
		client.version, client.group, client.alpn = cs.Version, cs.CurveID, cs.NegotiatedProtocol
		if _, err := tc.Write([]byte{1}); err != nil {
			client.err = err
		} else if _, err := io.ReadFull(tc, make([]byte, 1)); err != nil {
			client.err = err
		}
	}
	tc.Close()
	return <-done, client
}

// TestHandshakes is checklist row TL1: real handshakes on loopback between
// the package's configurations and clients or servers that must be
// refused (each refusal by the side that should refuse, for the right
// reason), and the ones that must succeed.
func TestHandshakes(t *testing.T) {
	pki := newPKI(t)
	foreign := newPKI(t)
	must := mustIssue(t)

	serverCert := must(pki.Server("localhost", "127.0.0.1"))
	good := must(pki.Unit(unit, "Vårdcentralen Test"))
	other := must(pki.Unit(otherUnit, "Annan enhet"))
	foreignUnit := must(foreign.Unit(unit, "Vårdcentralen Test"))
	expired := must(pki.Unit(unit, "Vårdcentralen Test", devpki.Validity(now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0))))
	notYet := must(pki.Unit(unit, "Vårdcentralen Test", devpki.Validity(now.AddDate(0, 0, 1), now.AddDate(1, 0, 0))))
	foreignServer := must(foreign.Server("localhost", "127.0.0.1"))
	card, cardKey, err := pki.Person(unit, "Anna", "Läkare", devpki.KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	// A staff card certificate that (wrongly) names the unit: only pinning
	// the function CA keeps it out.
	staffCard := tls.Certificate{Certificate: [][]byte{card.Raw, pki.PersonCA().Raw}, PrivateKey: cardKey}

	// The central store's API: units chain to the root, one unit admitted.
	server := func() *tls.Config { return atNow(Server(serverCert, pki.RootPool(), RequireHSAID(unit))) }
	client := func(cert tls.Certificate) *tls.Config {
		return atNow(Client(cert, pki.RootPool(), "localhost", nil))
	}
	// forcing presents cert whatever CAs the server asks for, as a hostile
	// client would (Go's client otherwise sends none that does not chain
	// to one of them).
	forcing := func(cert tls.Certificate) *tls.Config {
		cfg := client(cert)
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
		return cfg
	}
	with := func(cfg *tls.Config, change func(*tls.Config)) *tls.Config { change(cfg); return cfg }

	tests := []struct {
		name    string
		srv     *tls.Config
		cli     *tls.Config
		version uint16 // negotiated; 0: refused
		hsaID   string // the client's HSA-ID as the server sees it
		by      string // refused by "server" or "client"
		why     string // what the refusing side's error says
	}{
		{name: "mutual TLS, the right unit: TLS 1.3 by default",
			srv: server(), cli: client(good), version: tls.VersionTLS13, hsaID: unit},
		{name: "units pinned to the function CA",
			srv: atNow(Server(serverCert, pki.FunctionCAPool(), RequireHSAID(unit))), cli: client(good), version: tls.VersionTLS13, hsaID: unit},
		{name: "TLS 1.2 client, ECDHE with AES-GCM",
			srv: server(), cli: with(client(good), func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 }),
			version: tls.VersionTLS12, hsaID: unit},
		{name: "TLS 1.2 client, ECDHE with ChaCha20-Poly1305 only",
			srv: server(), cli: with(client(good), func(c *tls.Config) {
				c.MaxVersion = tls.VersionTLS12
				c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}
			}),
			version: tls.VersionTLS12, hsaID: unit},
		{name: "LAN UI server, no client certificate",
			srv: atNow(ServerNoClientCert(serverCert)), cli: client(tls.Certificate{}), version: tls.VersionTLS13},

		{name: "client without a certificate",
			srv: server(), cli: client(tls.Certificate{}), by: "server", why: "didn't provide a certificate"},
		{name: "client certificate from a foreign CA",
			srv: server(), cli: forcing(foreignUnit), by: "server", why: "certificate signed by unknown authority"},
		{name: "expired client certificate",
			srv: server(), cli: forcing(expired), by: "server", why: "expired"},
		{name: "client certificate not yet valid",
			srv: server(), cli: forcing(notYet), by: "server", why: "not yet valid"},
		{name: "another unit's certificate",
			srv: server(), cli: forcing(other), by: "server", why: "belongs to " + otherUnit + ", not " + unit},
		{name: "staff card certificate at a server pinning the function CA",
			srv: atNow(Server(serverCert, pki.FunctionCAPool(), RequireHSAID(unit))), cli: forcing(staffCard),
			by: "server", why: "certificate signed by unknown authority"},
		// A client with only MaxVersion TLS 1.1 refuses itself before
		// sending anything (Go clients' minimum is TLS 1.2); MinVersion
		// makes it offer 1.0 and 1.1, so that the server has to refuse.
		{name: "client offering TLS 1.1 at most",
			srv: server(), cli: with(client(good), func(c *tls.Config) { c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11 }),
			by: "server", why: "client offered only unsupported versions"},
		{name: "TLS 1.2 client offering only CBC and non-forward-secret suites",
			srv: server(), cli: with(client(good), func(c *tls.Config) {
				c.MaxVersion = tls.VersionTLS12
				c.CipherSuites = []uint16{
					tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
					tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
				}
			}),
			by: "server", why: "no cipher suite supported by both"},
		{name: "client offering only P-521",
			srv: server(), cli: with(client(good), func(c *tls.Config) { c.CurvePreferences = []tls.CurveID{tls.CurveP521} }),
			by: "server", why: "no key exchanges supported by both"},
		{name: "server without a client CA pool refuses everyone",
			srv: atNow(Server(serverCert, nil, RequireHSAID(unit))), cli: client(good), by: "server", why: ErrNoClientCAs.Error()},

		{name: "server certificate from a foreign CA",
			srv: atNow(Server(foreignServer, pki.RootPool(), nil)), cli: client(good), by: "client", why: "certificate signed by unknown authority"},
		{name: "server certificate for another name",
			srv: server(), cli: atNow(Client(good, pki.RootPool(), "central.example", nil)), by: "client", why: "not central.example"},
		{name: "client without root pool trusts no server",
			srv: server(), cli: atNow(Client(good, nil, "localhost", nil)), by: "client", why: "certificate signed by unknown authority"},
		{name: "client's own check refuses the server",
			srv: server(), cli: atNow(Client(good, pki.RootPool(), "localhost", RequireHSAID(unit))), by: "client", why: "names no HSA-ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := handshake(t, tt.srv, tt.cli)
			if tt.version != 0 {
				if s.err != nil || c.err != nil {
					t.Fatalf("refused: server: %v; client: %v", s.err, c.err)
				}
				if s.version != tt.version || c.version != tt.version {
					t.Errorf("version %#x (client %#x), want %#x", s.version, c.version, tt.version)
				}
				if s.hsaID != tt.hsaID {
					t.Errorf("server saw HSA-ID %q, want %q", s.hsaID, tt.hsaID)
				}
				if tt.version == tls.VersionTLS13 && s.group != tls.X25519MLKEM768 {
					t.Errorf("key exchange %v, want %v", s.group, tls.X25519MLKEM768)
				}
				if s.alpn != "h2" {
					t.Errorf("ALPN %q, want h2", s.alpn)
				}
				return
			}
			if s.err == nil && c.err == nil {
				t.Fatalf("accepted: %#x, server saw %q", s.version, s.hsaID)
			}
			refusal := s.err
			if tt.by == "client" {
				refusal = c.err
			}
			if refusal == nil || !strings.Contains(refusal.Error(), tt.why) {
				t.Fatalf("the %s did not refuse for %q: server: %v; client: %v", tt.by, tt.why, s.err, c.err)
			}
		})
	}
}

// TestResumption: a resumed TLS 1.3 session runs the identity check again,
// so a server that stopped admitting a unit refuses its resumed session.
func TestResumption(t *testing.T) {
	pki := newPKI(t)
	must := mustIssue(t)
	serverCert := must(pki.Server("localhost"))
	good := must(pki.Unit(unit, "Vårdcentralen Test"))
	admitted := true
	check := func(leaf *x509.Certificate) error {
		if !admitted {
			return errors.New("unit no longer served")
		}
		return RequireHSAID(unit)(leaf)
	}
	srv := atNow(Server(serverCert, pki.RootPool(), check))
	cli := atNow(Client(good, pki.RootPool(), "localhost", nil))
	cli.ClientSessionCache = tls.NewLRUClientSessionCache(4)

	if s, c := handshake(t, srv, cli); s.err != nil || c.err != nil || s.resumed {
		t.Fatalf("first handshake: server: %v; client: %v; resumed %v", s.err, c.err, s.resumed)
	}
	if s, c := handshake(t, srv, cli); s.err != nil || c.err != nil || !s.resumed || s.hsaID != unit {
		t.Fatalf("second handshake: server: %v; client: %v; resumed %v, HSA-ID %q", s.err, c.err, s.resumed, s.hsaID)
	}
	admitted = false
	s, _ := handshake(t, srv, cli)
	if s.err == nil || !strings.Contains(s.err.Error(), "unit no longer served") {
		t.Fatalf("resumed handshake of a unit no longer admitted: %v", s.err)
	}
}
