package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/cardauth/devpki"
)

const unit = "SE2321000016-A001"

type result struct {
	err     error
	hsaID   string
	version uint16
}

// handshake runs one real TLS handshake on loopback between a server with
// srv and a client with cli, and returns what each side saw.
func handshake(t *testing.T, srv, cli *tls.Config) (server, client result) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer c.Close()
		tc := tls.Server(c, srv)
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			done <- result{err: err}
			return
		}
		cs := tc.ConnectionState()
		r := result{version: cs.Version}
		if len(cs.PeerCertificates) > 0 {
			r.hsaID, r.err = HSAID(cs.PeerCertificates[0])
		}
		// Read once so that a client that refuses the server is seen here too.
		tc.Read(make([]byte, 1))
		done <- r
	}()
	conn, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(conn, cli)
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	client.err = tc.Handshake()
	if client.err == nil {
		client.version = tc.ConnectionState().Version
		// TLS 1.3 client certificates are checked after the client's
		// handshake returns: a read surfaces the server's refusal.
		tc.Write([]byte{0})
		if _, err := tc.Read(make([]byte, 1)); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) && !isEOF(err) {
			client.err = err
		}
	}
	tc.Close()
	server = <-done
	return server, client
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func isEOF(err error) bool { return err != nil && strings.Contains(err.Error(), "EOF") }

func TestHandshakes(t *testing.T) {
	now := time.Now()
	pki, err := devpki.New(nil, now)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := devpki.New(nil, now)
	if err != nil {
		t.Fatal(err)
	}
	must := func(c tls.Certificate, err error) tls.Certificate {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	serverCert := must(pki.Server("localhost", "127.0.0.1"))
	good := must(pki.Unit(unit, "Vårdcentralen Test"))
	other := must(pki.Unit("SE2321000016-B002", "Annan enhet"))
	foreignUnit := must(foreign.Unit(unit, "Vårdcentralen Test"))
	expired := must(pki.Unit(unit, "Vårdcentralen Test", devpki.Validity(now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0))))
	foreignServer := must(foreign.Server("localhost", "127.0.0.1"))

	server := Server(serverCert, pki.RootPool(), RequireHSAID(unit))
	client := func(cert tls.Certificate) *tls.Config { return Client(cert, pki.RootPool(), "localhost", nil) }
	noCert := client(tls.Certificate{})
	noCert.Certificates = nil
	tls11 := client(good)
	tls11.MaxVersion = tls.VersionTLS11
	cbc := client(good)
	cbc.MaxVersion = tls.VersionTLS12
	cbc.CipherSuites = []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}
	tls12 := client(good)
	tls12.MaxVersion = tls.VersionTLS12

	tests := []struct {
		name    string
		srv     *tls.Config
		cli     *tls.Config
		ok      bool
		version uint16
		why     string // what the refusal must say, on either side
	}{
		{"mutual TLS, right unit", server, client(good), true, tls.VersionTLS13, ""},
		{"TLS 1.2 with ECDHE and GCM", server, tls12, true, tls.VersionTLS12, ""},
		{"no client certificate", server, noCert, false, 0, "didn't provide a certificate"},
		{"client certificate from a foreign CA", server, client(foreignUnit), false, 0, "unknown authority"},
		{"expired client certificate", server, client(expired), false, 0, "expired"},
		{"another unit's certificate", server, client(other), false, 0, "not " + unit},
		{"TLS 1.1 at most", server, tls11, false, 0, "no supported versions"},
		{"TLS 1.2 without forward secrecy or AEAD", server, cbc, false, 0, "no cipher suite"},
		{"server from a foreign CA", Server(foreignServer, pki.RootPool(), nil), client(good), false, 0, "unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := handshake(t, tt.srv, tt.cli)
			if tt.ok {
				if s.err != nil || c.err != nil {
					t.Fatalf("refused: server %v, client %v", s.err, c.err)
				}
				if s.hsaID != unit || s.version != tt.version {
					t.Fatalf("server saw %q over %x, want %q over %x", s.hsaID, s.version, unit, tt.version)
				}
				return
			}
			if s.err == nil && c.err == nil {
				t.Fatalf("accepted (server saw %q)", s.hsaID)
			}
			if both := fmtErr(s.err) + " | " + fmtErr(c.err); !strings.Contains(both, tt.why) {
				t.Fatalf("refused for another reason than %q: %s", tt.why, both)
			}
		})
	}
}

func TestHSAID(t *testing.T) {
	pki, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		serial string
		ok     bool
	}{
		{"SE2321000016-15ZM", true},
		{"SE162321000255-O10951", true},
		{"", false},
		{"2321000016-15ZM", false},
		{"SE2321000016-", false},
		{"SE2321000016-15ZM\n", false},
		{"SE2321000016-" + strings.Repeat("A", 30), false},
	} {
		cert, _, err := pki.Person(tt.serial, "Test", "Testsson", "ecdsa-p256")
		if err != nil {
			t.Fatal(err)
		}
		got, err := HSAID(cert)
		if (err == nil) != tt.ok || (tt.ok && got != tt.serial) {
			t.Errorf("HSAID(%q) = %q, %v", tt.serial, got, err)
		}
		if err != nil && tt.serial != "" && strings.Contains(err.Error(), tt.serial) {
			t.Errorf("error repeats the certificate's value: %v", err)
		}
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	pki, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := pki.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	cert, err := pki.Unit(unit, "Test")
	if err != nil {
		t.Fatal(err)
	}
	if err := devpki.WriteTLS(dir, "unit", cert); err != nil {
		t.Fatal(err)
	}
	pair, err := LoadKeyPair(filepath.Join(dir, "unit.pem"), filepath.Join(dir, "unit.key"))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := LoadPool(filepath.Join(dir, "root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(pair.Certificate[0])
	inter := x509.NewCertPool()
	inter.AddCert(pki.FunctionCA())
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("loaded chain: %v", err)
	}
	if _, err := LoadPool(filepath.Join(dir, "unit.key")); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("a key file as CA pool: %v", err)
	}
	if _, err := LoadKeyPair(filepath.Join(dir, "missing.pem"), filepath.Join(dir, "unit.key")); err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Fatalf("missing file: %v", err)
	}
}
