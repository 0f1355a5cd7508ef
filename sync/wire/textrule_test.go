package wire

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// textRuleBefore is textRule as it was before its Latin-1 fast path
// (ASCII byte by byte, every other character through
// utf8.DecodeRuneInString and unicode.IsControl): the reference the
// faster form must agree with on every input.
func textRuleBefore(s string, max int, multiline bool) textFault {
	n, control := 0, false
	for i := 0; i < len(s); n++ {
		if c := s[i]; c < utf8.RuneSelf {
			i++
			if (c < 0x20 || c == 0x7f) && !(multiline && (c == '\n' || c == '\r' || c == '\t')) {
				control = true
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if size == 1 {
			return textNotUTF8
		}
		i += size
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			control = true
		}
	}
	switch {
	case control:
		return textControl
	case n > max:
		return textTooLong
	}
	return textOK
}

// textRuleAgrees fails if textRule and textRuleBefore differ on s.
func textRuleAgrees(t *testing.T, s string, max int) {
	t.Helper()
	for _, multiline := range []bool{false, true} {
		if got, want := textRule(s, max, multiline), textRuleBefore(s, max, multiline); got != want {
			t.Fatalf("%q (max %d, multiline %v): textRule %d, before the Latin-1 path %d", s, max, multiline, got, want)
		}
	}
}

// Every two-byte sequence, valid or not, and every code point, alone and
// cut short, among ASCII and Latin-1 letters, get the answer they got
// before the Latin-1 fast path.
func TestTextRuleAsBefore(t *testing.T) {
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			pair := string([]byte{byte(a), byte(b)})
			for _, s := range []string{pair, "å" + pair, pair + "ö", "x" + pair[:1]} {
				textRuleAgrees(t, s, 2)
			}
		}
	}
	for r := rune(0x80); r <= unicode.MaxRune; r += 7 {
		e := string(r)
		for _, s := range []string{e, "åä" + e + "ö", e[:len(e)-1], e[:len(e)-1] + "ä"} {
			textRuleAgrees(t, s, 3)
		}
	}
}

// FuzzTextRule runs the text rule and its form before the Latin-1 fast
// path against each other on any bytes and limit.
func FuzzTextRule(f *testing.F) {
	f.Add("Åsa Öberg\r\nont i örat", 20)
	f.Add("a\u2028\x01\xff\u0085", 3)
	f.Add(" \xed\xa0\x80\xc2", 5)
	f.Add("\xc2\x9f\xc2\xa0\xdf\xbf\xc3", 4)
	f.Add(swedishPatientText(2048), 10000)
	f.Fuzz(func(t *testing.T, s string, max int) { textRuleAgrees(t, s, max) })
}

// swedishPatientText is about n bytes of what patients write: Swedish
// sentences with å, ä, ö, punctuation and line breaks.
func swedishPatientText(n int) string {
	sentences := []string{
		"Hej! Jag har haft ont i halsen sedan i tisdags och det blir inte bättre.",
		"Febern gick upp till 38,7 grader i natt, men i morse var den 37,9.",
		"Min dotter är fyra år och har hostat i snart två veckor, mest på nätterna.",
		"Öronen värker också, särskilt det vänstra, och hörseln känns lite nedsatt.",
		"Tack på förhand för hjälpen — jag är tacksam för ett svar så snart det går.\n\n",
	}
	var sb strings.Builder
	for i := 0; sb.Len() < n; i++ {
		sb.WriteString(sentences[i%len(sentences)])
		sb.WriteByte(' ')
	}
	return sb.String()[:n-8] + "slut."
}

// BenchmarkTextRule: the text rule on 2 KiB of Swedish patient text
// (now), beside its form before the Latin-1 fast path (before), same run.
func BenchmarkTextRule(b *testing.B) {
	s := swedishPatientText(2048)
	if !utf8.ValidString(s) || textRule(s, MaxTextLen, true) != textOK {
		b.Fatal("the sample text is refused")
	}
	for _, v := range []struct {
		name string
		rule func(string, int, bool) textFault
	}{{"now", textRule}, {"before", textRuleBefore}} {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				v.rule(s, MaxTextLen, true)
			}
		})
	}
}
