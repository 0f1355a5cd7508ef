package cases

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// checkTextRule is CheckText as it was written before its one-pass form:
// the rule, stated with the unicode package, that the fast form must keep.
func checkTextRule(s string, max int, multiline bool) string {
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	if utf8.RuneCountInString(s) > max {
		return fmt.Sprintf("longer than %d characters", max)
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp) {
			return "contains a control character"
		}
	}
	return ""
}

// The edge characters of the text rule, each alone, among Swedish text,
// and at the length limit: what is refused and what is accepted stays as
// the rule says (C0 and C1 controls, DEL, the line and paragraph
// separators refused; tab and line breaks only in multiline text; format
// characters such as the bidi controls, private use, non-characters and
// the replacement character accepted, as before; surrogates and other
// invalid UTF-8 refused).
func TestCheckTextEdgeCharacters(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		s                       string
		wantLine, wantMultiline string // "" accepted, else the reason
	}{
		{"empty", "", "", ""},
		{"ascii", "Ont i halsen", "", ""},
		{"swedish", "Åsa Öberg har ont i örat, säger hon", "", ""},
		{"NUL", "a\x00b", "contains a control character", "contains a control character"},
		{"C0 SOH", "\x01", "contains a control character", "contains a control character"},
		{"C0 US", "\x1f", "contains a control character", "contains a control character"},
		{"space", " ", "", ""},
		{"tab", "a\tb", "contains a control character", ""},
		{"line feed", "a\nb", "contains a control character", ""},
		{"carriage return", "a\r\nb", "contains a control character", ""},
		{"vertical tab", "a\vb", "contains a control character", "contains a control character"},
		{"form feed", "a\fb", "contains a control character", "contains a control character"},
		{"escape", "\x1b[31m", "contains a control character", "contains a control character"},
		{"tilde", "~", "", ""},
		{"DEL", "a\x7fb", "contains a control character", "contains a control character"},
		{"C1 PAD U+0080", "a\u0080b", "contains a control character", "contains a control character"},
		{"C1 NEL U+0085", "a\u0085b", "contains a control character", "contains a control character"},
		{"C1 APC U+009F", "a\u009fb", "contains a control character", "contains a control character"},
		{"NBSP U+00A0", "a\u00a0b", "", ""},
		{"soft hyphen U+00AD", "a\u00adb", "", ""},
		{"ÿ U+00FF", "ÿ", "", ""},
		{"zero-width space U+200B", "a\u200bb", "", ""},
		{"ZWJ U+200D", "👩\u200d⚕️", "", ""},
		{"LRM U+200E", "a\u200eb", "", ""},
		{"RLM U+200F", "a\u200fb", "", ""},
		{"line separator U+2028", "a\u2028b", "contains a control character", "contains a control character"},
		{"paragraph separator U+2029", "a\u2029b", "contains a control character", "contains a control character"},
		{"RLE U+202B", "a\u202bb", "", ""},
		{"RLO U+202E", "a\u202eb", "", ""},
		{"LRI U+2066", "a\u2066b", "", ""},
		{"PDI U+2069", "a\u2069b", "", ""},
		{"BOM U+FEFF", "\ufeffa", "", ""},
		{"private use U+E000", "\ue000", "", ""},
		{"private use U+F8FF", "\uf8ff", "", ""},
		{"non-character U+FFFE", "\ufffe", "", ""},
		{"replacement character U+FFFD", "\ufffd", "", ""},
		{"supplementary private use U+10FFFD", "\U0010fffd", "", ""},
		{"emoji", "😷", "", ""},
		{"last code point U+10FFFF", "\U0010ffff", "", ""},
		{"surrogate D800 as UTF-8", "a\xed\xa0\x80b", "not valid UTF-8", "not valid UTF-8"},
		{"surrogate DFFF as UTF-8", "\xed\xbf\xbf", "not valid UTF-8", "not valid UTF-8"},
		{"lone continuation byte", "a\x80", "not valid UTF-8", "not valid UTF-8"},
		{"Latin-1 ä, not UTF-8", "h\xe4r", "not valid UTF-8", "not valid UTF-8"},
		{"truncated ä", "h\xc3", "not valid UTF-8", "not valid UTF-8"},
		{"overlong NUL", "\xc0\x80", "not valid UTF-8", "not valid UTF-8"},
		{"beyond U+10FFFF", "\xf4\x90\x80\x80", "not valid UTF-8", "not valid UTF-8"},
		{"control before invalid UTF-8", "\x01\xff", "not valid UTF-8", "not valid UTF-8"},
		{"control and too long", "\x01" + strings.Repeat("å", 10), "longer than 10 characters", "longer than 10 characters"},
		{"exactly the limit in å", strings.Repeat("å", 10), "", ""},
		{"one over the limit in å", strings.Repeat("å", 11), "longer than 10 characters", "longer than 10 characters"},
		{"the limit in 4-byte characters", strings.Repeat("😷", 10), "", ""},
	} {
		for _, multiline := range []bool{false, true} {
			want := tc.wantLine
			if multiline {
				want = tc.wantMultiline
			}
			max := 100
			if strings.Contains(tc.name, "limit") || strings.Contains(tc.name, "too long") {
				max = 10
			}
			for _, prefix := range []string{"", "Hej, här är Åsa: "} {
				s, max, want := prefix+tc.s, max+utf8.RuneCountInString(prefix), want
				if strings.HasPrefix(want, "longer than") {
					want = fmt.Sprintf("longer than %d characters", max)
				}
				rule, got := checkTextRule(s, max, multiline), CheckText(s, max, multiline)
				if rule != want {
					t.Fatalf("%s (multiline %v): the table says %q, the rule %q", tc.name, multiline, want, rule)
				}
				if got != want {
					t.Errorf("%s (multiline %v) in %q: CheckText = %q, the rule %q", tc.name, multiline, s, got, want)
				}
			}
		}
	}
}

// Every code point, alone and after ASCII, gets the rule's answer.
func TestCheckTextEveryCodePoint(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // not encodable; the table covers their UTF-8 forms
		}
		s := "ab" + string(r)
		for _, multiline := range []bool{false, true} {
			if got, want := CheckText(s, 3, multiline), checkTextRule(s, 3, multiline); got != want {
				t.Fatalf("U+%04X (multiline %v): CheckText = %q, the rule %q", r, multiline, got, want)
			}
		}
	}
}

// FuzzCheckText holds CheckText to the rule on any bytes and limit.
func FuzzCheckText(f *testing.F) {
	f.Add("Åsa Öberg\r\nont i örat", 20, true)
	f.Add("a\u2028\x01\xff", 3, false)
	f.Add("\xed\xa0\x80", 5, true)
	f.Fuzz(func(t *testing.T, s string, max int, multiline bool) {
		if got, want := CheckText(s, max, multiline), checkTextRule(s, max, multiline); got != want {
			t.Fatalf("CheckText(%q, %d, %v) = %q, the rule %q", s, max, multiline, got, want)
		}
	})
}

// BenchmarkCheckText: a 2 KiB Swedish case text, as the sync checks it,
// by CheckText and by the rule as it was written before (checkTextRule),
// for the ratio in one run.
func BenchmarkCheckText(b *testing.B) {
	s := strings.Repeat("Hej! Jag har haft ont i halsen sedan i tisdags, febern är 38,7 grader.\n", 28)
	for _, f := range []struct {
		name  string
		check func(string, int, bool) string
	}{{"CheckText", CheckText}, {"rule", checkTextRule}} {
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				if r := f.check(s, MaxTextRunes, true); r != "" {
					b.Fatal(r)
				}
			}
		})
	}
}
