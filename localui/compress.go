package localui

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Responses are gzipped (standard library compress/gzip) when the browser
// accepts it: pages, live fragments and JSON answers to GET; static files
// come gzipped from assets.go.
//
// BREACH: compressing a response that holds a secret next to text an
// attacker chose lets the attacker, who sees the response's length on the
// wire, guess the secret a byte at a time over many requests. Here:
//   - pages carry no CSRF token (state-changing requests are checked by
//     Origin and Sec-Fetch-Site instead, secure), and no session id or
//     ticket;
//   - the session cookie is SameSite=Strict, so a page of another site
//     cannot make the browser send the many authenticated requests the
//     attack needs: they arrive without a session and get the login page;
//   - only answers to GET are compressed: the answers to POST, which carry
//     the login challenge and the presence ticket, never are;
//   - text a patient chose (a name, a message) does sit beside other
//     patients' data in the inbox, but a new case, the one probe a patient
//     has, reaches open pages as a refresh of its own row and the list's
//     case ids only (app.js), which holds nothing of anyone else's to
//     guess; a guess per whole page would need a member of staff to load
//     the page once per guess while someone on the LAN measures it.

// gzipPool reuses compressors: each holds some 800 KB of state. They
// compress at gzip.BestSpeed: on the inbox's 200 rows a third of the
// default level's instructions for 9 % more bytes (gzip at the default
// level was 11 % of the gateway's CPU under `make load`;
// TestPagesGzippedAtBestSpeed).
var gzipPool = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// acceptsGzip says whether the request accepts a gzipped answer (a q=0
// refusal counts as no).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// compressible are the content types worth compressing.
func compressible(ctype string) bool {
	t, _, _ := strings.Cut(ctype, ";")
	switch strings.TrimSpace(t) {
	case "text/html", "text/css", "text/javascript", "application/javascript", "application/json", "text/csv", "text/plain":
		return true
	}
	return false
}

// compress gzips the answers to GET requests that accept it (not the
// websocket, whose upgrade takes over the connection).
func compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path == "/ws" || r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r) {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w}
		defer gw.close()
		next.ServeHTTP(gw, r)
	})
}

// gzipWriter decides at the header whether to compress: only a body of a
// compressible type that no one encoded already.
type gzipWriter struct {
	http.ResponseWriter
	zw          *gzip.Writer
	wroteHeader bool
}

func (g *gzipWriter) WriteHeader(status int) {
	if g.wroteHeader {
		return
	}
	g.wroteHeader = true
	h := g.Header()
	if status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified &&
		h.Get("Content-Encoding") == "" && compressible(h.Get("Content-Type")) {
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		g.zw = gzipPool.Get().(*gzip.Writer)
		g.zw.Reset(g.ResponseWriter)
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if !g.wroteHeader {
		if g.Header().Get("Content-Type") == "" {
			g.Header().Set("Content-Type", http.DetectContentType(p))
		}
		g.WriteHeader(http.StatusOK)
	}
	if g.zw != nil {
		return g.zw.Write(p)
	}
	return g.ResponseWriter.Write(p)
}

func (g *gzipWriter) close() {
	if g.zw == nil {
		return
	}
	_ = g.zw.Close()
	g.zw.Reset(io.Discard)
	gzipPool.Put(g.zw)
	g.zw = nil
}

// Unwrap lets http.ResponseController reach the connection.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }
