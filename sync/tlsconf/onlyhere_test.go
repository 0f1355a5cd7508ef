package tlsconf

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestEveryTLSConfigIsMadeHere: no code outside this package (tests
// aside) builds a tls.Config, or uses one Go makes by default, so that
// every TLS connection clinicgw makes or takes has this package's
// versions, suites and trust. Refused outside sync/tlsconf:
//   - a tls.Config literal, new(tls.Config) or a variable of type tls.Config;
//   - a nil configuration given to tls.Client, tls.Server, tls.Dial or
//     tls.DialWithDialer, and a tls.Dialer literal without a Config;
//   - net/http's DefaultClient, DefaultTransport and package-level Get,
//     Head, Post and PostForm, an http.Client literal without a Transport
//     and an http.Transport literal without a TLSClientConfig;
//   - net/smtp's SendMail (STARTTLS with Go's defaults);
//   - gorilla/websocket's DefaultDialer and a websocket.Dialer literal
//     without a TLSClientConfig.
func TestEveryTLSConfigIsMadeHere(t *testing.T) {
	for _, p := range tlsProblems(t) {
		t.Error(p)
	}
}

// TestTLSRuleCatches: the rule above finds each kind of problem in a
// sample file, and accepts the ways this package offers.
func TestTLSRuleCatches(t *testing.T) {
	const src = `package x

import (
	tl "crypto/tls"
	"net/http"
	"net/smtp"

	"github.com/gorilla/websocket"
	"clinicgw/sync/tlsconf"
)

var a = &tl.Config{}
var b = tl.Config{MinVersion: tl.VersionTLS12}
var c = new(tl.Config)
var d tl.Config
var e = tl.Client(nil, nil)
var f = http.DefaultClient
var g = &http.Client{}
var h = &http.Transport{}
var i, _ = http.Get("https://x")
var j = smtp.SendMail("x:25", nil, "a", nil, nil)
var k = websocket.DefaultDialer
var l = &websocket.Dialer{}
var m = http.DefaultTransport
var n = &tl.Dialer{}

var ok1 = &http.Client{Transport: tlsconf.NewTransport(nil)}
var ok2 = &http.Transport{TLSClientConfig: tlsconf.PublicClient(nil, "")}
var ok3 = &websocket.Dialer{TLSClientConfig: tlsconf.PublicClient(nil, "")}
var ok4 = tl.Client(nil, tlsconf.PublicClient(nil, ""))
var ok5 *tl.Config
var ok6 = &tl.Dialer{Config: tlsconf.PublicClient(nil, "")}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	got := fileTLSProblems(fset, f, "x.go")
	var want []string
	for line := 12; line <= 25; line++ { // var a … var n
		want = append(want, fmt.Sprintf("x.go:%d:", line))
	}
	if len(got) != len(want) {
		t.Errorf("%d problems found, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range min(len(got), len(want)) {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d: %s, want one at %s", i, got[i], want[i])
		}
	}
}

// tlsProblems walks the module's non-test Go files outside this package.
func tlsProblems(t *testing.T) []string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(root, "sync", "tlsconf")
	var problems []string
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
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || filepath.Dir(path) == own {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		rel, _ := filepath.Rel(root, path)
		problems = append(problems, fileTLSProblems(fset, f, rel)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d files checked: the walk missed the module", checked)
	}
	return problems
}

// fileTLSProblems lists the rule's findings in one parsed file, each as
// "rel:line: what to do", in the file's order.
func fileTLSProblems(fset *token.FileSet, f *ast.File, rel string) []string {
	names := map[string]string{} // import path → the name it has in f
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[p] = name
	}
	is := func(e ast.Expr, pkg string, sels ...string) bool {
		sel, ok := e.(*ast.SelectorExpr)
		if !ok || names[pkg] == "" {
			return false
		}
		x, ok := sel.X.(*ast.Ident)
		return ok && x.Name == names[pkg] && slices.Contains(sels, sel.Sel.Name)
	}
	hasKey := func(lit *ast.CompositeLit, key string) bool {
		for _, el := range lit.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok && id.Name == key {
					return true
				}
			}
		}
		return false
	}
	isNil := func(e ast.Expr) bool { id, ok := e.(*ast.Ident); return ok && id.Name == "nil" }
	const tlsPkg, httpPkg, wsPkg = "crypto/tls", "net/http", "github.com/gorilla/websocket"
	var out []string
	bad := func(n ast.Node, what string) {
		out = append(out, fmt.Sprintf("%s:%d: %s", rel, fset.Position(n.Pos()).Line, what))
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			switch {
			case is(n.Type, tlsPkg, "Config"):
				bad(n, "a tls.Config literal; take the configuration from sync/tlsconf (Server, ServerNoClientCert, Client, PublicClient)")
			case is(n.Type, tlsPkg, "Dialer") && !hasKey(n, "Config"):
				bad(n, "a tls.Dialer without a Config uses Go's default TLS configuration; set one from sync/tlsconf")
			case is(n.Type, httpPkg, "Client") && !hasKey(n, "Transport"):
				bad(n, "an http.Client without a Transport uses Go's default TLS configuration; give it tlsconf.NewTransport(…)")
			case is(n.Type, httpPkg, "Transport") && !hasKey(n, "TLSClientConfig"):
				bad(n, "an http.Transport without a TLSClientConfig uses Go's default TLS configuration; use tlsconf.NewTransport(…)")
			case is(n.Type, wsPkg, "Dialer") && !hasKey(n, "TLSClientConfig"):
				bad(n, "a websocket.Dialer without a TLSClientConfig uses Go's default TLS configuration; set one from sync/tlsconf")
			}
		case *ast.CallExpr:
			switch {
			case len(n.Args) == 1 && isIdent(n.Fun, "new") && is(n.Args[0], tlsPkg, "Config"):
				bad(n, "new(tls.Config); take the configuration from sync/tlsconf")
			case is(n.Fun, tlsPkg, "Client", "Server", "Dial", "DialWithDialer") && len(n.Args) > 0 && isNil(n.Args[len(n.Args)-1]):
				bad(n, "a nil TLS configuration means Go's defaults; take one from sync/tlsconf")
			case is(n.Fun, httpPkg, "Get", "Head", "Post", "PostForm"):
				bad(n, "net/http's package-level request functions use Go's default TLS configuration; use a client with tlsconf.NewTransport(…)")
			case is(n.Fun, "net/smtp", "SendMail"):
				bad(n, "smtp.SendMail uses Go's default TLS configuration; use an smtp.Client with a configuration from tlsconf.PublicClient")
			}
		case *ast.SelectorExpr:
			switch {
			case is(n, httpPkg, "DefaultClient", "DefaultTransport"):
				bad(n, "net/http's "+n.Sel.Name+" uses Go's default TLS configuration; use tlsconf.NewTransport(…)")
			case is(n, wsPkg, "DefaultDialer"):
				bad(n, "websocket.DefaultDialer uses Go's default TLS configuration; make a Dialer with a configuration from sync/tlsconf")
			}
		case *ast.ValueSpec:
			if n.Type != nil && is(n.Type, tlsPkg, "Config") {
				bad(n, "a variable of type tls.Config; take the configuration from sync/tlsconf")
			}
		}
		return true
	})
	return out
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}
