package labelstest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// Const is one constant of a string type.
type Const struct {
	Type  string // package name and type, e.g. "cases.Action"
	Name  string // the constant's name, e.g. "TakeBack"
	Value string // e.g. "take-back"
}

// Packages are the folders (from the module root) whose string constants
// are the codes people may meet: case types, statuses, actions, roles,
// message and actor kinds, access-log outcomes, notice kinds and channels,
// the sync protocol's kinds and statuses, session end reasons.
var Packages = []string{"agent/cases", "agent/audit", "agent/notify", "sync/wire", "sync/wire/casetype", "sync/wire/personnummer", "cardauth"}

// root is the module root, found from this file's place in it.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..")
}

// Consts returns every exported constant of a named string type declared
// in Packages (test files left out), in source order, and every such
// type's name (including types with no exported constant).
func Consts() ([]Const, []string, error) {
	var out []Const
	var types []string
	for _, dir := range Packages {
		cs, ts, err := constsIn(filepath.Join(root(), dir))
		if err != nil {
			return nil, nil, err
		}
		out, types = append(out, cs...), append(types, ts...)
	}
	return out, types, nil
}

func constsIn(dir string) ([]Const, []string, error) {
	fset := token.NewFileSet()
	matches, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, nil, err
	}
	slices.Sort(matches)
	var files []*ast.File
	pkg := ""
	for _, m := range matches {
		if strings.HasSuffix(m, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, m, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, nil, err
		}
		pkg = f.Name.Name
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("labelstest: no Go files in %s", dir)
	}
	// The named types whose underlying type is string.
	stringTypes := map[string]bool{}
	var typeNames []string
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, s := range g.Specs {
				ts := s.(*ast.TypeSpec)
				if id, ok := ts.Type.(*ast.Ident); ok && id.Name == "string" && ts.Name.IsExported() && ts.Assign == 0 {
					stringTypes[ts.Name.Name] = true
					typeNames = append(typeNames, pkg+"."+ts.Name.Name)
				}
			}
		}
	}
	var out []Const
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				id, ok := vs.Type.(*ast.Ident)
				if !ok || !stringTypes[id.Name] {
					continue
				}
				for i, n := range vs.Names {
					if !n.IsExported() || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						return nil, nil, fmt.Errorf("labelstest: %s.%s is not a string literal", pkg, n.Name)
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						return nil, nil, err
					}
					out = append(out, Const{Type: pkg + "." + id.Name, Name: n.Name, Value: v})
				}
			}
		}
	}
	return out, typeNames, nil
}

// Of returns the constants of the given types.
func Of(all []Const, types ...string) []Const {
	var out []Const
	for _, c := range all {
		if slices.Contains(types, c.Type) {
			out = append(out, c)
		}
	}
	return out
}
