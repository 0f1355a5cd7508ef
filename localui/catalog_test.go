package localui

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"clinicgw/sync/i18n"
)

// catalog is the one catalogue (sync/i18n) as Swedish–English pairs, as
// the tests of the UI's words read it.
var catalog = func() map[string][2]string {
	m := map[string][2]string{}
	for _, k := range i18n.Keys() {
		m[k] = [2]string{i18n.T("sv", k), i18n.T("en", k)}
	}
	return m
}()

// TestEveryKeyUsedIsInTheCatalogue: every text key the UI's Go code and
// templates name as a literal ("nav.inbox", "forms.err.name") is in the
// catalogue, so none shows as its key. Keys put together at run time
// ("view." + a view) are checked by the pages' own tests.
func TestEveryKeyUsedIsInTheCatalogue(t *testing.T) {
	prefixes := map[string]bool{}
	for _, k := range i18n.Keys() {
		p, _, _ := strings.Cut(k, ".")
		prefixes[p] = true
	}
	lit := regexp.MustCompile(`"([a-z][a-zA-Z]*)\.([a-zA-Z][a-zA-Z.-]*[a-zA-Z])"`)
	files, _ := filepath.Glob("*.go")
	tmpls, _ := filepath.Glob("templates/*.html")
	checked := 0
	for _, f := range append(files, tmpls...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			if !prefixes[m[1]] {
				continue
			}
			checked++
			if key := m[1] + "." + m[2]; !i18n.Has(key) {
				t.Errorf("%s names %q, which the catalogue does not hold", f, key)
			}
		}
	}
	if checked < 200 {
		t.Errorf("only %d keys found in the UI's source", checked)
	}
}
