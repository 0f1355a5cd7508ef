package clock_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// waits are package time's functions that wait or tick: only this package
// calls them.
var waits = map[string]bool{"NewTimer": true, "NewTicker": true, "After": true, "AfterFunc": true, "Tick": true, "Sleep": true}

// reads are package time's functions that read the wall clock.
var reads = map[string]bool{"Now": true, "Since": true, "Until": true}

// exempt are the places that may use package time's clock directly, each
// with its reason. A key is a folder (every file below it) or a file.
var exempt = map[string]string{
	"sync/clock": "the one clock itself",
	// Test harnesses around real processes and real peers.
	"agent/powercut":          "a test file system's power cut and watchdog, timed against real child processes",
	"cardauth/cardtest":       "starts a private pcscd and waits a real deadline for it to listen",
	"agent/notify/notifytest": "the test mail server's certificates, judged by real TLS clients at the real time",
	// Waits on the operating system, which only real time ends.
	"agent/store/lock_unix.go":    "polls another process's flock until a real deadline",
	"agent/store/lock_windows.go": "polls another process's file lock until a real deadline",
	"sync/tlsconf/httpserver.go":  "a request's read and write deadlines on its real connection",
	// Real time as the input of what is built or shown.
	"agent/democlinic/clinic.go": "certificates valid from the real time too: TLS clients judge them by the real clock",
	"cmd/clinicgw/demo_live.go":  "the live demo paces real patients and shows the real latencies across real processes",
	"cmd/clinicgw/keys.go":       "throttles a progress line on the operator's terminal",
	"cmd/clinicgw/archive.go":    "the elapsed time shown to the operator",
}

// TestOneClock: no package but this one declares a clock interface, makes
// a timer or ticker with package time, or reads time.Now, except a deadline
// handed to a real connection (conn.SetDeadline(time.Now().Add(…)),
// WriteControl) and the exempt places above. Everything else takes a
// clock.Clock, so that a test's clocktest.Fake drives it.
func TestOneClock(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for path := range exempt {
		if _, err := os.Stat(filepath.Join(root, path)); err != nil {
			t.Errorf("exempt %s: %v (remove it from the list)", path, err)
		}
	}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || exempt[rel] != "" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || exempt[rel] != "" {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, bad := range offences(f) {
			t.Errorf("%s:%d: %s: take a clock.Clock (clock.System by default, clocktest.Fake in tests)",
				rel, fset.Position(bad.pos).Line, bad.what)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type offence struct {
	pos  token.Pos
	what string
}

// offences lists f's clock interfaces and direct uses of package time's
// clock.
func offences(f *ast.File) []offence {
	timePkg := ""
	for _, imp := range f.Imports {
		if imp.Path.Value == `"time"` {
			timePkg = "time"
			if imp.Name != nil {
				timePkg = imp.Name.Name
			}
		}
	}
	var out []offence
	deadline := map[ast.Node]bool{} // time.Now calls inside a deadline argument
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.TypeSpec:
			if _, ok := n.Type.(*ast.InterfaceType); ok && strings.HasSuffix(strings.ToLower(n.Name.Name), "clock") {
				out = append(out, offence{n.Pos(), "a clock interface of its own (" + n.Name.Name + ")"})
			}
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && (strings.HasSuffix(sel.Sel.Name, "Deadline") || sel.Sel.Name == "WriteControl") {
				for _, a := range n.Args {
					ast.Inspect(a, func(m ast.Node) bool {
						if c, ok := m.(*ast.CallExpr); ok {
							deadline[c] = true
						}
						return true
					})
				}
			}
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok || timePkg == "" {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); !ok || id.Name != timePkg {
				return true
			}
			switch {
			case waits[sel.Sel.Name]:
				out = append(out, offence{n.Pos(), "time." + sel.Sel.Name})
			case reads[sel.Sel.Name] && !deadline[n]:
				out = append(out, offence{n.Pos(), "time." + sel.Sel.Name})
			}
		}
		return true
	})
	return out
}
