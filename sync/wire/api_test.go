package wire

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sourceFiles parses the package's non-test Go files with their comments.
func sourceFiles(t *testing.T) []*ast.File {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := gotoken.NewFileSet()
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatal("no source files")
	}
	return files
}

// exported returns the names of the package's exported constants and
// types, as the source declares them.
func exported(t *testing.T) (consts, types []string) {
	t.Helper()
	for _, f := range sourceFiles(t) {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, spec := range g.Specs {
				switch s := spec.(type) {
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if g.Tok == gotoken.CONST && n.IsExported() {
							consts = append(consts, n.Name)
						}
					}
				case *ast.TypeSpec:
					if s.Name.IsExported() {
						types = append(types, s.Name.Name)
					}
				}
			}
		}
	}
	return consts, types
}

// pathConstants are the values of the Path… constants by name. A new
// Path… constant fails TestSourceMatchesOpenAPI until it is added here,
// to paths and to openapi.json.
var pathConstants = map[string]string{
	"PathPrefix":   PathPrefix,
	"PathInbox":    PathInbox,
	"PathInboxAck": PathInboxAck,
	"PathOutbox":   PathOutbox,
	"PathForms":    PathForms,
	"PathStream":   PathStream,

	"PathPrefix2":     PathPrefix2,
	"PathInbox2":      PathInbox2,
	"PathInboxAck2":   PathInboxAck2,
	"PathOutbox2":     PathOutbox2,
	"PathForms2":      PathForms2,
	"PathStream2":     PathStream2,
	"PathReconcile2":  PathReconcile2,
	"PathConfirmed2":  PathConfirmed2,
	"PathQuarantine2": PathQuarantine2,
	"PathContact2":    PathContact2,
	"PathServices2":   PathServices2,

	"PathBookingTimes2":     PathBookingTimes2,
	"PathBookingRequests2":  PathBookingRequests2,
	"PathBookingDecisions2": PathBookingDecisions2,
	"PathBookingBookings2":  PathBookingBookings2,
}

// notSchemas are the exported types that are not JSON bodies or parts of
// one, and why.
var notSchemas = map[string]string{
	"InboxQuery":     "the query of GET /v1/inbox: the path's parameters in openapi.json (TestOpenAPILimits)",
	"Body":           "the interface Marshal takes",
	"ConfirmedQuery": "the query of GET /v2/outbox/confirmed: the path's parameters in openapi.json",
	"Link":           "a link of the event chain; on the wire Chain.base and Chain.end, 64 hex digits",
}

// TestSourceMatchesOpenAPI reads the package's source, not a list kept
// by hand, so that a new endpoint or body type cannot be added without
// openapi.json: every exported Path… constant is an endpoint in the
// document (PathPrefix the prefix of them all) and every exported type a
// schema there, unless notSchemas says why not.
func TestSourceMatchesOpenAPI(t *testing.T) {
	doc, _ := openAPI(t)
	docPaths := at(t, doc, "paths").(map[string]any)
	schemas := at(t, doc, "components", "schemas").(map[string]any)
	consts, types := exported(t)

	var found int
	for _, name := range consts {
		if !strings.HasPrefix(name, "Path") {
			continue
		}
		found++
		value, ok := pathConstants[name]
		switch {
		case !ok:
			t.Errorf("%s is not in pathConstants: add it there, to paths and to openapi.json", name)
		case name == "PathPrefix" || name == "PathPrefix2":
			for p := range docPaths {
				if !strings.HasPrefix(p, PathPrefix) && !strings.HasPrefix(p, PathPrefix2) {
					t.Errorf("openapi.json path %s is not under %s or %s", p, PathPrefix, PathPrefix2)
				}
			}
		default:
			if _, ok := docPaths[value]; !ok {
				t.Errorf("%s (%s) is not a path in openapi.json", name, value)
			}
			if !slices.Contains(paths, value) {
				t.Errorf("%s (%s) is not in paths", name, value)
			}
		}
	}
	if found != len(pathConstants) {
		t.Errorf("the source declares %d Path… constants; pathConstants has %d", found, len(pathConstants))
	}

	for _, name := range types {
		if why, ok := notSchemas[name]; ok {
			if why == "" {
				t.Errorf("notSchemas[%s] gives no reason", name)
			}
			continue
		}
		if _, ok := schemas[name]; !ok {
			t.Errorf("type %s has no schema in openapi.json (or, if it is not a body, say why in notSchemas)", name)
		}
		if _, ok := schemaTypes[name]; !ok {
			t.Errorf("type %s is not in schemaTypes, so TestOpenAPISchemas does not compare it", name)
		}
	}
	for name := range schemaTypes {
		if !slices.Contains(types, name) {
			t.Errorf("schemaTypes names %s, which the source does not declare", name)
		}
	}
}

// TestDocComments checks that the package has a doc comment starting
// "Package wire" and that everything exported has one: functions,
// methods, types, constants, variables and struct fields (a comment at
// the end of the line counts, and so does one over a group of constants).
func TestDocComments(t *testing.T) {
	var pkgDoc bool
	for _, f := range sourceFiles(t) {
		if f.Doc != nil {
			if !strings.HasPrefix(f.Doc.Text(), "Package wire ") {
				t.Errorf("package doc does not start with \"Package wire \"")
			}
			pkgDoc = true
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Name.IsExported() && receiverExported(d) && d.Doc == nil {
					t.Errorf("func %s has no doc comment", d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					checkSpecDoc(t, d, spec)
				}
			}
		}
	}
	if !pkgDoc {
		t.Error("the package has no doc comment")
	}
}

// receiverExported reports whether a function is a plain function or a
// method of an exported type.
func receiverExported(d *ast.FuncDecl) bool {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return true
	}
	typ := d.Recv.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}

func checkSpecDoc(t *testing.T, d *ast.GenDecl, spec ast.Spec) {
	t.Helper()
	switch s := spec.(type) {
	case *ast.TypeSpec:
		if !s.Name.IsExported() {
			return
		}
		if s.Doc == nil && d.Doc == nil {
			t.Errorf("type %s has no doc comment", s.Name.Name)
		}
		st, ok := s.Type.(*ast.StructType)
		if !ok {
			return
		}
		for _, f := range st.Fields.List {
			for _, n := range f.Names {
				if n.IsExported() && f.Doc == nil && f.Comment == nil {
					t.Errorf("field %s.%s has no comment", s.Name.Name, n.Name)
				}
			}
		}
	case *ast.ValueSpec:
		for _, n := range s.Names {
			if n.IsExported() && s.Doc == nil && s.Comment == nil && d.Doc == nil {
				t.Errorf("%s %s has no doc comment", d.Tok, n.Name)
			}
		}
	}
}

// TestLeafPackage checks that wire imports only the standard library
// (an import path whose first element has no dot) and its own leaf
// subpackages (sync/wire/...), in its tests too, so that both ends and any
// other implementation can build on it alone.
func TestLeafPackage(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := gotoken.NewFileSet()
	for _, name := range names {
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			first, _, _ := strings.Cut(path, "/")
			if strings.Contains(first, ".") || first == "clinicgw" && !strings.HasPrefix(path, "clinicgw/sync/wire/") {
				t.Errorf("%s imports %s: wire must import only the standard library and its own subpackages", name, path)
			}
		}
	}
}
