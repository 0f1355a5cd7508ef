package wire

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"clinicgw/sync/wire/jsontext"
)

// TestPageTextsRuledInDecode: the fast page decoder reads a case's text,
// its answers' values and a message's text once, checking the text rule
// as it unquotes them, so the page's validation does not read them again;
// only the short single-line texts (names, labels) are ruled after it.
func TestPageTextsRuledInDecode(t *testing.T) {
	body := realisticChainedPage(1)
	ruled := 0
	textRuled = func(s string) { ruled += len(s) }
	defer func() { textRuled = nil }()
	page, _, err := DecodeChainedPageEvents(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	lines, texts := 0, 0
	for _, ev := range page.Events {
		c := ev.Case
		lines += len(c.Patient.Name)
		if c.Guardian != nil {
			lines += len(c.Guardian.Name)
		}
		texts += len(c.Text)
		for _, f := range c.Fields {
			lines += len(f.Label)
			texts += len(f.Value)
		}
	}
	if ruled != lines {
		t.Errorf("the text rule read %d bytes after the decoder; want %d (names and labels), not the %d of texts and values", ruled, lines, texts)
	}
}

// checkUnquoteText holds jsontext.UnquoteText to Unquote and to the text
// rule on b: the same value, and clean exactly when the rule (for a
// multi-line text of any length) takes the value, with its count of
// characters.
func checkUnquoteText(t *testing.T, b []byte) {
	t.Helper()
	if len(b) == 0 || b[0] != '"' {
		return
	}
	s, next, chars, clean, ok := jsontext.UnquoteText(b, 0)
	want, wantNext, wantOK := jsontext.Unquote(b, 0)
	if ok != wantOK || ok && (s != want || next != wantNext) {
		t.Fatalf("UnquoteText(%q) = %q, %d, %v; Unquote %q, %d, %v", b, s, next, ok, want, wantNext, wantOK)
	}
	if !ok {
		return
	}
	if ruleOK := textRule(s, math.MaxInt, true) == textOK; clean != ruleOK {
		t.Fatalf("UnquoteText(%q): clean %v; the text rule takes it: %v", b, clean, ruleOK)
	}
	if n := utf8.RuneCountInString(s); clean && chars != n {
		t.Fatalf("UnquoteText(%q): %d characters, not %d", b, chars, n)
	}
}

// unquoteTextSamples are JSON strings at the text rule's edges, raw and
// escaped.
var unquoteTextSamples = []string{
	`"Hej! Jag har ont i halsen sedan i tisdags.\nFeber 38,7 °C.\r\n\tMvh Åsa"`, `"åäöÅÄÖéü"`, `"x"`, `""`,
	`"a` + "\x7f" + `b"`, `"a\u007fb"`, `"a` + "\u0085" + `b"`, `"a\u0085b"`, `"a` + "\u00a0" + `b"`, `"§ ° ±"`,
	`"a` + "\u2028" + `b"`, `"a\u2028b"`, `"a\u2029b"`, `"– ”citat” € …"`, `"\b\f"`, `"\u0001"`, `"\u001f"`,
	`"\ud83d\ude00 😷"`, `"\ud83d"`, `"\"\\\/"`, `"a` + "\x01" + `"`, `"a` + "\xff" + `"`, `"ab`, `"\u00e5\u0300"`,
	`"` + strings.Repeat("åa", 40) + "\u2028" + `"`, `"` + strings.Repeat("abcdefå", 30) + `\n"`,
}

func TestUnquoteText(t *testing.T) {
	for _, s := range unquoteTextSamples {
		checkUnquoteText(t, []byte(s))
		checkUnquoteText(t, []byte(s+`,"x":1`))
	}
}

func FuzzUnquoteText(f *testing.F) {
	for _, s := range unquoteTextSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(checkUnquoteText)
}
