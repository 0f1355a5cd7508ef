package wire

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// checkStringRule is checkString as it was written before its one-pass
// form: the rule, stated with the unicode package, that the fast form
// must keep.
func checkStringRule(path, s string, max int, required, multiline bool) error {
	if !utf8.ValidString(s) {
		return fail(path, "is not valid UTF-8")
	}
	if required && strings.TrimSpace(s) == "" {
		return fail(path, "is required and must not be blank")
	}
	n := 0
	for _, r := range s {
		n++
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			if multiline {
				return fail(path, "contains a control character other than tab or a line break")
			}
			return fail(path, "contains a control character or line break")
		}
	}
	if n > max {
		return failf(path, "is longer than %d characters", max)
	}
	return nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// checkStringAgrees fails if checkString and the rule differ on s.
func checkStringAgrees(t *testing.T, s string, max int) {
	t.Helper()
	for _, required := range []bool{false, true} {
		for _, multiline := range []bool{false, true} {
			got := errText(checkString("text", s, max, required, multiline))
			want := errText(checkStringRule("text", s, max, required, multiline))
			if got != want {
				t.Fatalf("%q (max %d, required %v, multiline %v): checkString %q, the rule %q", s, max, required, multiline, got, want)
			}
		}
	}
}

// The edge characters of the text rule, alone, among Swedish text, at the
// limit and together, get the rule's answer: C0 and C1 controls, DEL,
// U+2028 and U+2029 refused, tab and line breaks only in multiline text;
// bidi and other format characters, private use, non-characters accepted
// as before; surrogates and other invalid UTF-8 refused; blank refused
// when required.
func TestCheckStringEdgeCharacters(t *testing.T) {
	edges := []string{"", " ", "\t", "\n", "\r\n", " \n\t ", "\x00", "\x01", "\x1b", "\x1f", "\x7f", "~",
		"\u0080", "\u0085", "\u009f", "\u00a0", "\u00ad", "\u200b", "\u200d", "\u200e", "\u200f",
		"\u2028", "\u2029", "\u202a", "\u202b", "\u202e", "\u2066", "\u2069", "\ufeff", "\ue000", "\uf8ff",
		"\ufffd", "\ufffe", "\U0010fffd", "\U0010ffff", "😷",
		"\xed\xa0\x80", "\xed\xbf\xbf", "\x80", "\xe4", "\xc3", "\xc0\x80", "\xf4\x90\x80\x80", "\x01\xff"}
	for _, e := range edges {
		for _, s := range []string{e, "Åsa Öberg: " + e, e + "ont i örat", strings.Repeat("å", 9) + e, e + e + "\x01"} {
			for _, max := range []int{1, 10, 100} {
				checkStringAgrees(t, s, max)
			}
		}
	}
	// A few answers spelled out, so that the rule itself is pinned too.
	for _, tc := range []struct {
		s         string
		multiline bool
		want      string
	}{
		{"a\tb", false, "text contains a control character or line break"},
		{"a\tb", true, ""},
		{"a\u2028b", true, "text contains a control character other than tab or a line break"},
		{"a\u0085b", true, "text contains a control character other than tab or a line break"},
		{"a\u202eb", false, ""},
		{"a\xed\xa0\x80", true, "text is not valid UTF-8"},
		{" \n ", true, "text is required and must not be blank"},
		{"\x01" + strings.Repeat("å", 20), true, "text contains a control character other than tab or a line break"},
		{strings.Repeat("å", 11), true, "text is longer than 10 characters"},
	} {
		if got := errText(checkString("text", tc.s, 10, true, tc.multiline)); got != tc.want {
			t.Errorf("%q (multiline %v): %q, want %q", tc.s, tc.multiline, got, tc.want)
		}
	}
}

// Every code point, after ASCII, gets the rule's answer.
func TestCheckStringEveryCodePoint(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r < 0xD800 || r > 0xDFFF {
			checkStringAgrees(t, "ab"+string(r), 3)
		}
	}
}

// FuzzCheckString holds checkString to the rule on any bytes and limit.
func FuzzCheckString(f *testing.F) {
	f.Add("Åsa Öberg\r\nont i örat", 20)
	f.Add("a\u2028\x01\xff", 3)
	f.Add(" \xed\xa0\x80", 5)
	f.Fuzz(func(t *testing.T, s string, max int) { checkStringAgrees(t, s, max) })
}

// TestCheckText: the text rule both ends check with says the same as the
// protocol's decoders (checkLine, checkMultiline) about every text.
func TestCheckText(t *testing.T) {
	for _, tt := range []struct {
		s         string
		multiline bool
		want      string // "" for acceptable
	}{
		{"Hosta", false, ""},
		{"Å–😀", false, ""},
		{"a\nb\r\n\tc", true, ""},
		{"a\nb", false, "contains a control character"},
		{"a\tb", false, "contains a control character"},
		{"a\x00", true, "contains a control character"},
		{"a\x7f", true, "contains a control character"},
		{"a\u0085", true, "contains a control character"},
		{"a\u2028", true, "contains a control character"},
		{"a\u2029", false, "contains a control character"},
		{"a\xffb", true, "not valid UTF-8"},
		{strings.Repeat("å", 11), false, "longer than 10 characters"},
		{strings.Repeat("å", 10), true, ""},
	} {
		if got := CheckText(tt.s, 10, tt.multiline); got != tt.want {
			t.Errorf("CheckText(%q, 10, %v) = %q, want %q", tt.s, tt.multiline, got, tt.want)
		}
		var err error
		if tt.multiline {
			err = checkMultiline("x", tt.s, 10, false)
		} else {
			err = checkLine("x", tt.s, 10, false)
		}
		if (err == nil) != (tt.want == "") {
			t.Errorf("%q: CheckText says %q, the decoders %v", tt.s, tt.want, err)
		}
	}
}
