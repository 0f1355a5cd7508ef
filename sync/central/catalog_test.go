package central

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"clinicgw/sync/i18n"
)

// TestEveryKeyUsedIsInTheCatalogue: every text key the patient pages' Go
// code names as a literal ("central.err.render") and every key a template
// hands its t func ({{t "central.page.skip"}}) is in the catalogue
// (sync/i18n), so none shows as its key.
func TestEveryKeyUsedIsInTheCatalogue(t *testing.T) {
	prefixes := map[string]bool{}
	for _, k := range i18n.Keys() {
		p, _, _ := strings.Cut(k, ".")
		prefixes[p] = true
	}
	lit := regexp.MustCompile(`"([a-z][a-zA-Z]*)\.([a-zA-Z][a-zA-Z.-]*[a-zA-Z])"`)
	files, _ := filepath.Glob("*.go")
	inGo := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		for _, m := range lit.FindAllStringSubmatch(read(t, f), -1) {
			if !prefixes[m[1]] {
				continue
			}
			inGo++
			if key := m[1] + "." + m[2]; !i18n.Has(key) {
				t.Errorf("%s names %q, which the catalogue does not hold", f, key)
			}
		}
	}
	// Any key a template gives t, whatever its prefix.
	call := regexp.MustCompile(`\{\{-?\s*\(?t\s+"([^"]*)"`)
	tmpls, _ := filepath.Glob("templates/*.html")
	inTemplates := 0
	for _, f := range tmpls {
		for _, m := range call.FindAllStringSubmatch(read(t, f), -1) {
			inTemplates++
			if !i18n.Has(m[1]) {
				t.Errorf("%s names %q, which the catalogue does not hold", f, m[1])
			}
		}
	}
	if inGo < 20 || inTemplates < 60 {
		t.Errorf("only %d keys found in the Go source and %d in the templates", inGo, inTemplates)
	}
}

// TestTemplatesHoldNoWords: with its actions and tags taken out, a
// template holds punctuation only, and no attribute people read
// (aria-label, title, alt, placeholder) holds a word of its own: every
// word comes from the catalogue through t.
func TestTemplatesHoldNoWords(t *testing.T) {
	action := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	readAttr := regexp.MustCompile(`(?:aria-label|title|alt|placeholder)="([^"]*)"`)
	tag := regexp.MustCompile(`(?s)<[^>]*>`)
	word := regexp.MustCompile(`\p{L}+`)
	tmpls, _ := filepath.Glob("templates/*.html")
	if len(tmpls) < 8 {
		t.Fatalf("only %d templates found", len(tmpls))
	}
	for _, f := range tmpls {
		s := action.ReplaceAllString(read(t, f), "")
		for _, m := range readAttr.FindAllStringSubmatch(s, -1) {
			if w := word.FindString(m[1]); w != "" {
				t.Errorf("%s: an attribute holds the word %q of its own", f, w)
			}
		}
		for _, w := range word.FindAllString(tag.ReplaceAllString(s, ""), -1) {
			t.Errorf("%s holds the word %q of its own", f, w)
		}
	}
}

func read(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
