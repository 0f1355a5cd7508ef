package jsontext

import (
	"bytes"
	"testing"
)

// FuzzEscape: Escape tells, for any byte of any text, what AppendQuoted
// writes for the byte or character there: AppendQuoted of the text is
// the concatenation of Escape's answers (or the bytes themselves where it
// answers nil), walked by the sizes it returns.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "Hej å ä ö", "a\"b\\c\nd\x01e", "<&>\u2028\u2029", "\xff\xc3", "abcdefghijklmnop\té"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, html bool) {
		got := []byte{'"'}
		var buf [6]byte
		for i := 0; i < len(s); {
			esc, size := Escape(&buf, s, i, html)
			if size < 1 || i+size > len(s) {
				t.Fatalf("%q at %d: size %d", s, i, size)
			}
			if esc == nil {
				got = append(got, s[i:i+size]...)
			} else {
				got = append(got, esc...)
			}
			i += size
		}
		got = append(got, '"')
		if want := AppendQuoted(nil, s, html); !bytes.Equal(got, want) {
			t.Fatalf("%q (html %v): by Escape %q, AppendQuoted %q", s, html, got, want)
		}
	})
}
