package agent

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackageDocs fails for every package in the module that lacks a
// doc.go whose package comment starts "Package <name> " (for a command,
// "Command <folder name> "), so every package says what it is for.
func TestPackageDocs(t *testing.T) {
	root := moduleRoot(t)
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		pkg, ok := packageName(t, path)
		if !ok {
			return nil
		}
		checked++
		rel, _ := filepath.Rel(root, path)
		want := "Package " + pkg + " "
		if pkg == "main" {
			want = "Command " + filepath.Base(path) + " "
		}
		docFile := filepath.Join(path, "doc.go")
		f, err := parser.ParseFile(token.NewFileSet(), docFile, nil, parser.PackageClauseOnly|parser.ParseComments)
		switch {
		case err != nil && os.IsNotExist(err):
			t.Errorf("%s: no doc.go; add one whose package comment starts %q", rel, want)
		case err != nil:
			t.Errorf("%s: %v", rel, err)
		case f.Doc == nil:
			t.Errorf("%s/doc.go: no package comment; start it %q", rel, want)
		case !strings.HasPrefix(f.Doc.Text(), want):
			t.Errorf("%s/doc.go: package comment starts %q; want %q", rel, firstLine(f.Doc.Text()), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatalf("found no packages under %s", root)
	}
}

// packageName returns the package name of the non-test Go files in dir,
// and false when there are none.
func packageName(t *testing.T, dir string) (string, bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, n), nil, parser.PackageClauseOnly)
		if err != nil {
			t.Errorf("%s: %v", filepath.Join(dir, n), err)
			continue
		}
		return f.Name.Name, true
	}
	return "", false
}

// moduleRoot walks up from the test's working directory (the package's
// folder) to the folder holding go.mod.
func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
