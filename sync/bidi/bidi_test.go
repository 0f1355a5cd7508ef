package bidi

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNeutralise(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain", "Kalle Anka", "Kalle Anka"},
		{"empty", "", ""},
		{"Swedish letters", "Åsa Öberg-Ängström", "Åsa Öberg-Ängström"},
		{"RLO poses as another name", "\u202egpj.exe", "\ufffdgpj.exe"},
		{"RLO in the middle", "foto\u202egnp.exe", "foto\ufffdgnp.exe"},
		{"RLO then PDF", "a\u202ebc\u202cd", "a\ufffdbc\ufffdd"},
		{"LRE", "\u202ax", "\ufffdx"},
		{"RLE", "\u202bx", "\ufffdx"},
		{"LRO", "\u202dx", "\ufffdx"},
		{"LRI", "\u2066x\u2069", "\ufffdx\ufffd"},
		{"RLI", "\u2067x\u2069", "\ufffdx\ufffd"},
		{"FSI", "\u2068x\u2069", "\ufffdx\ufffd"},
		{"LRM removed", "a\u200eb", "ab"},
		{"RLM removed", "a\u200fb", "ab"},
		{"ALM removed", "a\u061cb", "ab"},
		{"Arabic letters kept", "محمد علي", "محمد علي"},
		{"Hebrew letters kept", "שלום.txt", "שלום.txt"},
		{"neighbours of the controls kept", "\u2029\u202f\u2065\u206a\u200d", "\u2029\u202f\u2065\u206a\u200d"},
		{"every control", "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
			strings.Repeat("\ufffd", 9)},
		{"invalid UTF-8 left as it is without controls", "a\xffb", "a\xffb"},
		{"invalid UTF-8 shown as U+FFFD beside a control", "a\xffb\u202e", "a\ufffdb\ufffd"},
		{"a removed mark joins no bytes into a control", "\xe2\x80\u200f\xae", "\ufffd\ufffd"},
		{"nor into another character", "\xe2\x81\u200f\x8f", "\ufffd\ufffd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Neutralise(tc.in); got != tc.want {
				t.Errorf("Neutralise(%+q) = %+q, want %+q", tc.in, got, tc.want)
			}
			if got := string(NeutraliseHTML([]byte(tc.in))); got != tc.want {
				t.Errorf("NeutraliseHTML(%+q) = %+q, want %+q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzNeutralise: whatever the input, the output holds no
// control and the same text with the controls taken out.
func FuzzNeutralise(f *testing.F) {
	f.Add("\u202egpj.exe")
	f.Add("a\u2066b\u2069\u200fc")
	f.Fuzz(func(t *testing.T, s string) {
		got := Neutralise(s)
		for _, r := range got {
			if control(r) {
				t.Fatalf("Neutralise(%+q) = %+q keeps %U", s, got, r)
			}
		}
		strip := func(x string) string {
			return strings.Map(func(r rune) rune {
				if control(r) || r == utf8.RuneError {
					return -1
				}
				return r
			}, x)
		}
		if strip(got) != strip(s) {
			t.Fatalf("Neutralise(%+q) = %+q changed other text", s, got)
		}
	})
}

// control is the list in the package doc, written out again.
func control(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}

func TestNeutraliseHTMLKeepsCleanPage(t *testing.T) {
	b := []byte("<p>Hej</p>")
	if got := NeutraliseHTML(b); &got[0] != &b[0] {
		t.Error("a page without controls was copied")
	}
}

// BenchmarkNeutraliseHTML: a 200-row inbox is about 250 kB of HTML with
// Swedish letters and dashes; a clean page is only scanned.
func BenchmarkNeutraliseHTML(b *testing.B) {
	page := []byte(strings.Repeat("<tr><td>Åsa Öberg – Rådgivning sjuksköterska</td><td>2026-11-23 09:00</td></tr>\n", 3000))
	b.Run("clean", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			NeutraliseHTML(page)
		}
	})
	dirty := append([]byte("\u202e"), page...)
	b.Run("one control", func(b *testing.B) {
		b.SetBytes(int64(len(dirty)))
		for b.Loop() {
			NeutraliseHTML(dirty)
		}
	})
}
