package central

import (
	"bufio"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
)

// TestSyncAPIBoundsSlowBody: the sync API, served as `clinicgw central`
// serves it (tlsconf.NewHTTPServer, mutual TLS on loopback), answers a unit
// that sends its headers and then trickles an outbox body one byte a
// second with a problem before the trickle ends, and applies nothing.
func TestSyncAPIBoundsSlowBody(t *testing.T) {
	e := newEnv(t)
	cfg := tlsconf.Server(e.server, e.pki.FunctionCAPool(), e.store.VerifyUnit)
	srv := tlsconf.NewHTTPServer(e.store.APIHandler(), cfg, tlsconf.Limits{Header: time.Second, Body: time.Second, Write: 5 * time.Second, Idle: 5 * time.Second})
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(tls.NewListener(ln, cfg)) }()
	t.Cleanup(func() { srv.Close(); <-done })
	before := e.dump()

	const trickle = 15
	ccfg := tlsconf.Client(e.certs[unitA], e.pki.RootPool(), "127.0.0.1", nil)
	ccfg.NextProtos = []string{"http/1.1"}
	conn, err := tls.Dial("tcp", ln.Addr().String(), ccfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := "POST " + wire.PathOutbox + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + wire.ContentTypeJSON +
		"\r\nContent-Length: " + strconv.Itoa(trickle) + "\r\n\r\n"
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	var sent atomic.Int32
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for range trickle {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
			sent.Add(1)
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	n := sent.Load()
	close(stop)
	if err != nil {
		t.Fatalf("no answer after %d bytes: %v", n, err)
	}
	resp.Body.Close()
	if n == trickle || resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != wire.ContentTypeProblem {
		t.Errorf("after %d of %d bytes: %d %s, want a 400 problem before the trickle ends", n, trickle, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if e.dump() != before {
		t.Error("a cut-off request changed the store")
	}
}
