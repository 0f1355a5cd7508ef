package tlsconf

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"time"
)

// Limits bound how long a client may take over each part of an HTTP
// exchange, so that a slow or stalled client cannot hold a connection and
// its goroutine for ever. A zero field takes DefaultLimits' value.
type Limits struct {
	// Header bounds the TLS handshake, the request line and the headers
	// (http.Server.ReadHeaderTimeout).
	Header time.Duration
	// Body bounds reading the request body, counted from the start of the
	// handler: a body not in by then fails to read, and the handler
	// answers with an error.
	Body time.Duration
	// Write bounds writing the response, counted from the start of the
	// handler.
	Write time.Duration
	// Idle bounds a kept-alive connection between requests
	// (http.Server.IdleTimeout).
	Idle time.Duration
}

// DefaultLimits are the limits a server gets where it names none: room
// for the largest body the product takes (the sync protocol's 8 MiB) on a
// slow clinic link, and none for a client that stalls.
var DefaultLimits = Limits{Header: 10 * time.Second, Body: 30 * time.Second, Write: 60 * time.Second, Idle: 2 * time.Minute}

// orDefault fills the zero fields of l from DefaultLimits.
func (l Limits) orDefault() Limits {
	for _, f := range []struct {
		v *time.Duration
		d time.Duration
	}{
		{&l.Header, DefaultLimits.Header}, {&l.Body, DefaultLimits.Body},
		{&l.Write, DefaultLimits.Write}, {&l.Idle, DefaultLimits.Idle},
	} {
		if *f.v <= 0 {
			*f.v = f.d
		}
	}
	return l
}

// NewHTTPServer returns the http.Server of every HTTP endpoint clinicgw
// runs: h behind BoundRequests, TLS configuration cfg (one of this
// package's; nil for plain HTTP on loopback) and lim's header and idle
// limits. The caller sets ErrorLog and BaseContext and serves it (Serve on
// a tls.NewListener(ln, cfg), or ServeTLS).
func NewHTTPServer(h http.Handler, cfg *tls.Config, lim Limits) *http.Server {
	lim = lim.orDefault()
	return &http.Server{
		Handler:           BoundRequests(h, lim),
		TLSConfig:         cfg,
		ReadHeaderTimeout: lim.Header,
		IdleTimeout:       lim.Idle,
		// No ReadTimeout or WriteTimeout: they would also cut the
		// websockets, which live for hours. BoundRequests sets the same
		// bounds per request, and lifts them from a hijacked connection.
	}
}

// BoundRequests wraps h so that each request's body must arrive within
// lim.Body and its response be written within lim.Write, both counted from
// the start of the handler, through http.ResponseController (HTTP/1.1 and
// HTTP/2 alike). A handler that takes the connection over (a websocket
// upgrade) gets it with no deadline: a websocket sets its own, by its
// pings. Every request is bounded, whatever its headers say, so no header
// can buy a client unbounded time.
func BoundRequests(h http.Handler, lim Limits) http.Handler {
	lim = lim.orDefault()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		now := time.Now()
		// ErrNotSupported (a writer without deadlines, as in unit tests)
		// leaves the request unbounded: nothing to do about it here.
		_ = rc.SetReadDeadline(now.Add(lim.Body))
		_ = rc.SetWriteDeadline(now.Add(lim.Write))
		h.ServeHTTP(&boundWriter{ResponseWriter: w, rc: rc}, r)
	})
}

// boundWriter is the ResponseWriter BoundRequests hands on: a hijacked
// connection leaves with its deadlines cleared.
type boundWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
}

// Hijack takes the connection over and clears the request's deadlines
// from it.
func (b *boundWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := b.rc.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		conn.Close()
		return nil, nil, errors.Join(errors.New("tlsconf: clear the deadlines of a hijacked connection"), err)
	}
	return conn, rw, nil
}

// Flush sends what is buffered to the client.
func (b *boundWriter) Flush() { _ = b.rc.Flush() }

// Unwrap gives http.ResponseController the underlying writer.
func (b *boundWriter) Unwrap() http.ResponseWriter { return b.ResponseWriter }
