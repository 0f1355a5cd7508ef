package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// TestPublicClient: the configuration for servers outside the unit's PKI
// (mail server, SMS gateway) has the package's versions, suites and
// groups, presents no certificate, offers no ALPN, trusts the pool it is
// given or else the system's roots, and refuses in the handshake a server
// below TLS 1.2, without forward secrecy, with a foreign CA or for another
// name.
func TestPublicClient(t *testing.T) {
	pki := newPKI(t)
	cert := mustIssue(t)(pki.Server("localhost"))
	pool := pki.RootPool()
	c := PublicClient(pool, "localhost")
	if c.MinVersion != tls.VersionTLS12 || c.InsecureSkipVerify || len(c.Certificates) != 0 || c.NextProtos != nil ||
		c.RootCAs != pool || c.ServerName != "localhost" || c.VerifyConnection == nil ||
		!slices.Equal(c.CipherSuites, suites12) || !slices.Equal(c.CurvePreferences, groups) {
		t.Errorf("PublicClient: %+v", c)
	}
	if PublicClient(nil, "x").RootCAs != nil {
		t.Error("PublicClient(nil) does not trust the system's roots")
	}
	clock := func() time.Time { return now }
	server := func(mod func(*tls.Config)) *tls.Config {
		s := ServerNoClientCert(cert)
		s.Time = clock
		if mod != nil {
			mod(s)
		}
		return s
	}
	client := func(roots *x509.CertPool, name string) *tls.Config {
		c := PublicClient(roots, name)
		c.Time = clock
		return c
	}
	var unknownCA x509.UnknownAuthorityError
	var wrongName x509.HostnameError
	for _, tc := range []struct {
		name    string
		srv     *tls.Config
		cli     *tls.Config
		wantErr func(error) bool // nil: must succeed
	}{
		{"configured CA", server(nil), client(pool, "localhost"), nil},
		{"system roots do not know the CA", server(nil), client(nil, "localhost"), func(err error) bool { return errors.As(err, &unknownCA) }},
		{"another name", server(nil), client(pool, "mail.example.se"), func(err error) bool { return errors.As(err, &wrongName) }},
		{"server at most TLS 1.1", server(func(s *tls.Config) { s.MinVersion, s.MaxVersion = tls.VersionTLS10, tls.VersionTLS11 }),
			client(pool, "localhost"), func(err error) bool { return err != nil }},
		{"server without forward secrecy", server(func(s *tls.Config) {
			s.MaxVersion, s.CipherSuites = tls.VersionTLS12, []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}
		}), client(pool, "localhost"), func(err error) bool { return err != nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, got := handshake(t, tc.srv, tc.cli)
			switch {
			case tc.wantErr == nil && got.err != nil:
				t.Fatalf("handshake failed: %v", got.err)
			case tc.wantErr != nil && !tc.wantErr(got.err):
				t.Fatalf("handshake: %v, want a refusal", got.err)
			case tc.wantErr == nil && got.version != tls.VersionTLS13:
				t.Errorf("version %#x, want TLS 1.3", got.version)
			}
		})
	}
}

// TestNewTransport: a transport made with a configuration from here uses
// it, keeps net/http's proxy from the environment, and without one trusts
// nothing rather than Go's defaults.
func TestNewTransport(t *testing.T) {
	pki := newPKI(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = ServerNoClientCert(mustIssue(t)(pki.Server("127.0.0.1")))
	srv.TLS.Time = func() time.Time { return now }
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refusals below are expected
	srv.StartTLS()
	defer srv.Close()
	get := func(tr *http.Transport) error {
		tr.TLSClientConfig.Time = func() time.Time { return now }
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	tr := NewTransport(PublicClient(pki.RootPool(), ""))
	if tr.Proxy == nil || tr.TLSHandshakeTimeout == 0 {
		t.Error("the transport lost net/http's proxy or timeouts")
	}
	if err := get(tr); err != nil {
		t.Errorf("GET with the configured CA: %v", err)
	}
	if err := get(NewTransport(nil)); err == nil {
		t.Error("a transport made without a configuration completed a TLS handshake")
	}
	if err := get(NewTransport(PublicClient(nil, ""))); err == nil {
		t.Error("the system's roots trusted a development CA")
	}
}
