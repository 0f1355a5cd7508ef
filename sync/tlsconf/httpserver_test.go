package tlsconf

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// limitedServer serves h with NewHTTPServer over real TLS on loopback and
// returns its address and a client configuration that trusts it.
func limitedServer(t *testing.T, h http.Handler, lim Limits) (string, *tls.Config) {
	t.Helper()
	p := newPKI(t)
	cfg := atNow(ServerNoClientCert(mustIssue(t)(p.Server("127.0.0.1"))))
	srv := NewHTTPServer(h, cfg, lim)
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(tls.NewListener(ln, cfg)) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return ln.Addr().String(), atNow(&tls.Config{RootCAs: p.RootPool(), ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
}

// echo answers a POST with the length of its body, or 400 if the body
// could not be read; a GET on /ws upgrades to a websocket that echoes.
func echo(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ws" {
		up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			typ, msg, err := conn.ReadMessage()
			if err != nil || conn.WriteMessage(typ, msg) != nil {
				return
			}
		}
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "the body could not be read", http.StatusBadRequest)
		return
	}
	fmt.Fprint(w, len(b))
}

// trickleLen is how many bytes a trickling client sends, one a second: far
// longer than the test's bounds.
const trickleLen = 15

// trickleH1 sends head over HTTP/1.1, then one byte a second, up to
// trickleLen, until the server answers or closes. It returns how many
// bytes were trickled by then, and the status (0 if the server closed
// without an answer).
func trickleH1(t *testing.T, addr string, cfg *tls.Config, head string) (int32, int) {
	t.Helper()
	cfg = cfg.Clone()
	cfg.NextProtos = []string{"http/1.1"}
	conn, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	var sent atomic.Int32
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for range trickleLen {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := conn.Write([]byte("x")); err != nil {
				return
			}
			sent.Add(1)
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	n := sent.Load()
	close(stop)
	if err != nil {
		return n, 0
	}
	resp.Body.Close()
	return n, resp.StatusCode
}

// trickleBody is a request body that yields one byte a second, up to
// trickleLen, and counts them.
type trickleBody struct {
	sent atomic.Int32
	tick *time.Ticker
}

func (b *trickleBody) Read(p []byte) (int, error) {
	if b.sent.Load() == trickleLen {
		return 0, io.EOF
	}
	<-b.tick.C
	p[0] = 'x'
	b.sent.Add(1)
	return 1, nil
}

// TestHTTPServerBoundsSlowClients: over real TLS on loopback, a server
// from NewHTTPServer cuts off a client that trickles its headers, or its
// body (HTTP/1.1 and HTTP/2), before the trickle ends; a large body sent
// at once is taken whole; a websocket stays open past every bound.
func TestHTTPServerBoundsSlowClients(t *testing.T) {
	lim := Limits{Header: 2 * time.Second, Body: 2 * time.Second, Write: 5 * time.Second, Idle: 5 * time.Second}
	addr, cfg := limitedServer(t, http.HandlerFunc(echo), lim)

	t.Run("slow headers", func(t *testing.T) {
		t.Parallel()
		sent, status := trickleH1(t, addr, cfg, "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
		if sent == trickleLen || (status != 0 && status < 400) {
			t.Errorf("the server waited for the whole trickle (%d bytes) and answered %d", sent, status)
		}
	})
	t.Run("slow body HTTP/1.1", func(t *testing.T) {
		t.Parallel()
		head := "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + strconv.Itoa(trickleLen) + "\r\n\r\n"
		sent, status := trickleH1(t, addr, cfg, head)
		if sent == trickleLen || (status != 0 && status < 400) {
			t.Errorf("the server waited for the whole trickle (%d bytes) and answered %d", sent, status)
		}
	})
	t.Run("slow body HTTP/2", func(t *testing.T) {
		t.Parallel()
		body := &trickleBody{tick: time.NewTicker(time.Second)}
		defer body.tick.Stop()
		tr := &http.Transport{TLSClientConfig: cfg.Clone(), ForceAttemptHTTP2: true}
		defer tr.CloseIdleConnections()
		req, err := http.NewRequest(http.MethodPost, "https://"+addr+"/echo", body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = trickleLen
		resp, err := (&http.Client{Transport: tr}).Do(req)
		sent := body.sent.Load()
		status := 0
		if err == nil {
			status = resp.StatusCode
			if resp.ProtoMajor != 2 {
				t.Errorf("the request went over %s, want HTTP/2", resp.Proto)
			}
			resp.Body.Close()
		}
		if sent == trickleLen || (status != 0 && status < 400) {
			t.Errorf("the server waited for the whole trickle (%d bytes) and answered %d", sent, status)
		}
	})
	t.Run("large body", func(t *testing.T) {
		t.Parallel()
		big := bytes.Repeat([]byte("0123456789abcdef"), 8<<20/16)
		for _, h2 := range []bool{false, true} {
			c := cfg.Clone()
			if !h2 {
				c.NextProtos = []string{"http/1.1"}
			}
			tr := &http.Transport{TLSClientConfig: c, ForceAttemptHTTP2: h2}
			resp, err := (&http.Client{Transport: tr}).Post("https://"+addr+"/echo", "application/octet-stream", bytes.NewReader(big))
			if err != nil {
				t.Fatalf("HTTP/2 %v: %v", h2, err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			tr.CloseIdleConnections()
			if resp.StatusCode != http.StatusOK || string(got) != strconv.Itoa(len(big)) || (resp.ProtoMajor == 2) != h2 {
				t.Errorf("HTTP/2 %v: %s %d %q, want 200 with the whole body", h2, resp.Proto, resp.StatusCode, got)
			}
		}
	})
}

// TestHTTPServerWebsocketOutlivesBounds: the per-request bounds end with
// the upgrade; a websocket lives on past them all.
func TestHTTPServerWebsocketOutlivesBounds(t *testing.T) {
	const bound = 300 * time.Millisecond
	addr, cfg := limitedServer(t, http.HandlerFunc(echo), Limits{Header: bound, Body: bound, Write: bound, Idle: bound})
	cfg.NextProtos = []string{"http/1.1"}
	d := websocket.Dialer{TLSClientConfig: cfg, HandshakeTimeout: 10 * time.Second}
	conn, _, err := d.Dial("wss://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := range 3 {
		<-time.After(2 * bound) // the websocket is idle past every bound
		msg := "hej " + strings.Repeat("!", i)
		if err := conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, got, err := conn.ReadMessage(); err != nil || string(got) != msg {
			t.Fatalf("echo %d: %q, %v: the websocket did not outlive the bounds", i, got, err)
		}
	}
}

// TestEveryServerIsBounded: every HTTP server clinicgw runs is made by
// NewHTTPServer (the only http.Server literal outside tests is its own),
// and nothing serves with net/http's package-level Serve or ListenAndServe,
// which have no bounds at all. A new server cannot skip the bounds.
func TestEveryServerIsBounded(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(root, "sync", "tlsconf", "httpserver.go")
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		http := ""
		for _, imp := range f.Imports {
			if imp.Path.Value == `"net/http"` {
				http = "http"
				if imp.Name != nil {
					http = imp.Name.Name
				}
			}
		}
		if http == "" {
			return nil
		}
		is := func(e ast.Expr, names ...string) bool {
			sel, ok := e.(*ast.SelectorExpr)
			if !ok {
				return false
			}
			x, ok := sel.X.(*ast.Ident)
			return ok && x.Name == http && slices.Contains(names, sel.Sel.Name)
		}
		rel, _ := filepath.Rel(root, path)
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if is(n.Type, "Server") && path != own {
					t.Errorf("%s: an http.Server literal; make servers with tlsconf.NewHTTPServer", rel)
				}
			case *ast.CallExpr:
				if is(n.Fun, "Serve", "ServeTLS", "ListenAndServe", "ListenAndServeTLS") {
					t.Errorf("%s: net/http's package-level %s has no bounds; serve a tlsconf.NewHTTPServer", rel, n.Fun.(*ast.SelectorExpr).Sel.Name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d files checked: the walk missed the module", checked)
	}
}
