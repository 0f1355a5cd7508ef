package proxytest

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"clinicgw/sync/tlsconf"
)

// Capture is what the proxy saw: every plaintext byte it forwarded.
type Capture struct {
	mu   sync.Mutex
	up   bytes.Buffer // client (the gateway) → upstream (the central store)
	down bytes.Buffer // upstream → client
}

// Bytes returns copies of what went up and what came down so far.
func (c *Capture) Bytes() (up, down []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.up.Bytes()), bytes.Clone(c.down.Bytes())
}

// capturedConn logs what passes through the proxy's connection to the
// upstream: what it writes went up, what it reads came down.
type capturedConn struct {
	net.Conn
	c *Capture
}

func (cc capturedConn) Write(p []byte) (int, error) {
	cc.c.mu.Lock()
	cc.c.up.Write(p)
	cc.c.mu.Unlock()
	return cc.Conn.Write(p)
}

func (cc capturedConn) Read(p []byte) (int, error) {
	n, err := cc.Conn.Read(p)
	cc.c.mu.Lock()
	cc.c.down.Write(p[:n])
	cc.c.mu.Unlock()
	return n, err
}

// Start serves a reverse proxy (httputil.ReverseProxy) on loopback that
// terminates its clients' TLS with server (a certificate the clients
// trust for 127.0.0.1) and re-originates TLS to target (host:port) with
// upstream (its client certificate and the roots it trusts), over
// HTTP/1.1 so that a websocket upgrade is proxied too, logging in the
// clear every byte it forwards between the two. It stops when the test
// ends.
func Start(t testing.TB, target string, server tls.Certificate, upstream *tls.Config) (*httptest.Server, *Capture) {
	t.Helper()
	capt := &Capture{}
	cfg := upstream.Clone()
	cfg.NextProtos = []string{"http/1.1"}
	tr := &http.Transport{
		TLSClientConfig: cfg, // the dial below uses it; named so that no default configuration is ever used
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			raw, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			tc := tls.Client(raw, cfg.Clone())
			if err := tc.HandshakeContext(ctx); err != nil {
				raw.Close()
				return nil, err
			}
			return capturedConn{Conn: tc, c: capt}, nil
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	u := &url.URL{Scheme: "https", Host: target}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(u) },
		Transport: tr,
		ErrorLog:  log.New(io.Discard, "", 0),
	}
	srv := httptest.NewUnstartedServer(rp)
	srv.TLS = tlsconf.ServerNoClientCert(server)
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, capt
}
