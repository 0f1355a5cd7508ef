package localui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// Static files are fingerprinted: a page names each by its content's hash
// (/static/app.3f9c1a2b7d4e.js, the asset template function), and that
// address is served "public, max-age=31536000, immutable": a browser
// fetches a file once per version, never to revalidate it. The plain name
// (/static/app.js) is still served, "no-cache" with an ETag, for anything
// that kept an old address. Each file is kept gzipped too, made once at
// start, and served so to a browser that accepts it. Static files hold
// no patient data; everything else stays no-store (secure).

// asset is one static file, as served.
type asset struct {
	name  string // app.js
	hash  string // the first 12 hex digits of its SHA-256
	ctype string
	plain []byte
	gz    []byte
}

// assetHashLen is how many hex digits of the hash the address carries.
const assetHashLen = 12

// assets are the embedded static files by name and by fingerprinted name.
var assets = sync.OnceValue(func() map[string]*asset {
	out := map[string]*asset{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		a := &asset{name: strings.TrimPrefix(p, "static/"), hash: hex.EncodeToString(sum[:])[:assetHashLen], plain: data}
		a.ctype = mime.TypeByExtension(path.Ext(a.name))
		if a.ctype == "" {
			a.ctype = "application/octet-stream"
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(data)
		_ = zw.Close()
		a.gz = buf.Bytes()
		out[a.name] = a
		out[fingerprinted(a.name, a.hash)] = a
		return nil
	})
	if err != nil {
		panic("localui: embedded static files: " + err.Error()) // embedded at build: cannot fail at run
	}
	return out
})

// fingerprinted is name with hash before its extension: app.js → app.HASH.js.
func fingerprinted(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

// assetPath is the fingerprinted address of the static file at plain
// address p, /static/app.js (the templates' asset function). An unknown
// file is a template's mistake: rendering fails on it, and every page's
// test with it.
func assetPath(p string) (string, error) {
	name := strings.TrimPrefix(p, "/static/")
	a, ok := assets()[name]
	if !ok || a.name != name {
		return "", fmt.Errorf("localui: no static file %q", p)
	}
	return "/static/" + fingerprinted(a.name, a.hash), nil
}

// serveStatic serves a static file: immutable under its fingerprinted
// name, revalidated under its plain one; gzipped when accepted.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	a, ok := assets()[name]
	if !ok {
		s.notFound(w, r)
		return
	}
	h := w.Header()
	if name == a.name {
		h.Set("Cache-Control", "no-cache")
	} else {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	h.Set("Content-Type", a.ctype) // Vary: Accept-Encoding comes from compress
	body, etag := a.plain, `"`+a.hash+`"`
	if acceptsGzip(r) {
		body, etag = a.gz, `"`+a.hash+`-gz"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
