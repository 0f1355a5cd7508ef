package jsontext

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// samples are strings at the edges of every loop: each kind of byte that
// needs attention at each position of a word and in the tail, runs of
// two-, three- and four-byte characters, and invalid UTF-8 of each kind.
func samples() []string {
	specials := []string{"\"", "\\", "\x00", "\x1f", "\n", "\t", "<", ">", "&", "\x7f", " ", "~",
		"å", "ö", "\u0080", "\u07ff", "\u0800", "\u2028", "\u2029", "\ufffd", "€", "😀", "\U0010ffff",
		"\xff", "\xc0\x80", "\xc2", "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf0\x8f\xbf\xbf", "\x80"}
	out := []string{"", "a", "abcdefgh", "Hej! Jag har haft ont i halsen sedan i tisdags och det blir inte bättre.\n\n"}
	for _, sp := range specials {
		for pos := range 18 {
			pad := strings.Repeat("x", pos)
			out = append(out, pad+sp, pad+sp+"yyyyyyyyy", sp+pad+sp)
		}
	}
	return out
}

// jsonMarshal is encoding/json's encoding of s, with or without HTML
// escaping.
func jsonMarshal(t testing.TB, s string, html bool) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func checkAppendQuoted(t *testing.T, s string) {
	t.Helper()
	for _, html := range []bool{false, true} {
		got := AppendQuoted([]byte("pre"), s, html)
		want := append([]byte("pre"), jsonMarshal(t, s, html)...)
		if !bytes.Equal(got, want) {
			t.Fatalf("AppendQuoted(%q, html %v) = %s, encoding/json %s", s, html, got, want)
		}
		if html {
			if ref := appendJSONStringStore(nil, s); !bytes.Equal(got[3:], ref) {
				t.Fatalf("AppendQuoted(%q, html) = %s, the store's loop before %s", s, got[3:], ref)
			}
		}
	}
}

func TestAppendQuoted(t *testing.T) {
	for _, s := range samples() {
		checkAppendQuoted(t, s)
	}
}

func FuzzAppendQuoted(f *testing.F) {
	for _, s := range samples() {
		f.Add(s)
	}
	f.Fuzz(checkAppendQuoted)
}

// checkUnquote holds Unquote to the decoder it replaced (the fast page
// decoder's string loop, which ran only on bodies of valid UTF-8) and to
// encoding/json.
func checkUnquote(t *testing.T, b []byte) {
	t.Helper()
	if len(b) == 0 || b[0] != '"' {
		return
	}
	got, next, ok := Unquote(b, 0)
	want, wantNext, wantOK := unquoteBefore(b, 0)
	if wantOK && !utf8.Valid(b[:wantNext]) {
		wantOK = false // refused before by the check of the whole body
	}
	if ok != wantOK || ok && (got != want || next != wantNext) {
		t.Fatalf("Unquote(%q) = %q, %d, %v; before %q, %d, %v", b, got, next, ok, want, wantNext, wantOK)
	}
	if !ok {
		return
	}
	var v string
	if err := json.Unmarshal(b[:next], &v); err != nil || v != got {
		t.Fatalf("Unquote(%q) = %q; encoding/json %q, %v", b, got, v, err)
	}
}

func TestUnquote(t *testing.T) {
	for _, s := range samples() {
		q := jsonMarshal(t, s, false)
		checkUnquote(t, q)
		checkUnquote(t, append(q, `,"x":1`...))
		raw := []byte(`"` + s + `"`)
		checkUnquote(t, raw)
		checkUnquote(t, raw[:len(raw)-1])
	}
	for _, s := range []string{`"\ud83d\ude00"`, `"\ud83d"`, `"\ude00\ud83d"`, `"\ud83dx"`, `"\ud83d\u0041"`,
		`"a\/b"`, `"\x"`, `"\u12"`, `"\u12g4"`, `"\`, `"a\"`, `"\u00e5\n\t\r\b\f\"\\"`, `"` + "\t" + `"`} {
		checkUnquote(t, []byte(s))
	}
}

func FuzzUnquote(f *testing.F) {
	for _, s := range samples() {
		f.Add(append([]byte(`"`), s...))
		f.Add(jsonMarshal(f, s, false))
	}
	f.Add([]byte(`"\ud83d\ude00 \u00e5"`))
	f.Fuzz(checkUnquote)
}

func checkScans(t *testing.T, s string) {
	t.Helper()
	for i := 0; i <= len(s); i++ {
		checkScansAt(t, s, i)
	}
}

func checkScansAt(t *testing.T, s string, i int) {
	t.Helper()
	{
		if got, want := Plain(s, i), Plain([]byte(s), i); got != want {
			t.Fatalf("Plain(%q, %d) = %d, on bytes %d", s, i, got, want)
		}
		checkSkipsPairs(t, "Plain", s, i, Plain(s, i), plainByte, 0xc2)
		checkSkipsPairs(t, "plainHTML", s, i, plainHTML(s, i), plainHTMLByte, 0xc2)
		j, n := Printable(s, i)
		checkSkipsPairs(t, "Printable", s, i, j, printableByte, 0xc3)
		if want := j - i - utf8.RuneCountInString(s[i:j]); n != want {
			t.Fatalf("Printable(%q, %d) = %d, %d two-byte characters; want %d", s, i, j, n, want)
		}
		if got, _ := Printable([]byte(s), i); got != j {
			t.Fatalf("Printable(%q, %d) = %d, on bytes %d", s, i, j, got)
		}
		if i == len(s) || s[i] < utf8.RuneSelf {
			return
		}
		r, size := decodeRune(s, i)
		wr, wsize := utf8.DecodeRuneInString(s[i:])
		if r != wr || size != wsize {
			t.Fatalf("decodeRune(%q, %d) = %U, %d; utf8 %U, %d", s, i, r, size, wr, wsize)
		}
		if n := RuneLen([]byte(s), i); (n != 0) != (wsize > 1) || n != 0 && n != wsize {
			t.Fatalf("RuneLen(%q, %d) = %d; utf8 %U, %d", s, i, n, wr, wsize)
		}
	}
}

func TestScans(t *testing.T) {
	for _, s := range samples() {
		checkScans(t, s)
	}
	// Every byte in every position of a word, after every other.
	for a := range 256 {
		for b := range 256 {
			for pos := range 8 {
				w := []byte("xxxxxxxxxxxxxxxx")
				w[pos], w[pos+1] = byte(a), byte(b)
				checkScansAt(t, string(w), 0)
				checkScansAt(t, string(w), pos)
			}
		}
	}
}

func FuzzScans(f *testing.F) {
	for _, s := range samples() {
		f.Add(s)
	}
	f.Fuzz(checkScans)
}

// checkSkipsPairs fails unless j, what scan returned for s from i, is
// where the byte-by-byte scan stops, or earlier at a byte ≥ 0x80 that
// begins a character, having passed only plain bytes and whole two-byte
// characters whose lead byte is at least minLead.
func checkSkipsPairs(t *testing.T, scan, s string, i, j int, plain func(byte) bool, minLead byte) {
	t.Helper()
	k := i
	for k < j {
		switch {
		case plain(s[k]):
			k++
		case s[k] >= minLead && s[k] <= 0xdf && k+1 < j && s[k+1]&0xc0 == 0x80:
			k += 2
		default:
			t.Fatalf("%s(%q, %d) = %d: passed %q at %d", scan, s, i, j, s[k], k)
		}
	}
	if k != j {
		t.Fatalf("%s(%q, %d) = %d: inside a character", scan, s, i, j)
	}
	if j < len(s) && plain(s[j]) {
		t.Fatalf("%s(%q, %d) = %d: stopped at a plain byte", scan, s, i, j)
	}
}

func plainByte(b byte) bool { return b >= 0x20 && b != '"' && b != '\\' && b < utf8.RuneSelf }

func printableByte(b byte) bool { return b >= 0x20 && b < 0x7f }

func plainHTMLByte(b byte) bool { return plainByte(b) && b != '<' && b != '>' && b != '&' }

// agent/store's appendJSONString before this package (casejson.go, with
// its slow path for invalid UTF-8): the reference.

// jsonEscapeStore marks the bytes appendJSONString cannot copy as they are in
// valid UTF-8: what encoding/json escapes, and 0xE2, the first byte of
// U+2028 and U+2029.
var jsonEscapeStore = func() (t [256]bool) {
	for b := range 0x20 {
		t[b] = true
	}
	for _, b := range []byte{'"', '\\', '<', '>', '&', 0xE2} {
		t[b] = true
	}
	return t
}()

// appendJSONString appends s quoted as encoding/json quotes a string: HTML
// characters, U+2028 and U+2029 escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONStringStore(dst []byte, s string) []byte {
	if !utf8.ValidString(s) {
		return appendJSONStringStoreSlow(dst, s)
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !jsonEscapeStore[b] {
			continue
		}
		if b == 0xE2 {
			if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
				dst = append(dst, s[start:i]...)
				dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[s[i+2]&0xF])
				i += 2
				start = i + 1
			}
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = appendEscapedASCIIStore(dst, b)
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendEscapedASCIIStore appends the escape encoding/json writes for b, an
// ASCII byte it does not copy.
func appendEscapedASCIIStore(dst []byte, b byte) []byte {
	switch b {
	case '\\', '"':
		return append(dst, '\\', b)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
}

// appendJSONStringStoreSlow is appendJSONString for a string that is not valid
// UTF-8, rune by rune.
func appendJSONStringStoreSlow(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if jsonEscapeStore[b] {
				dst = append(dst, s[start:i]...)
				dst = appendEscapedASCIIStore(dst, b)
				start = i + 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			start = i + size
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			start = i + size
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// unquoteBefore is sync/wire's fastDec.str before this package, byte by
// byte: the reference Unquote must agree with on valid UTF-8.
func unquoteBefore(b []byte, i int) (string, int, bool) {
	start := i + 1
	j := start
	for ; j < len(b); j++ {
		c := b[j]
		if c == '"' {
			return string(b[start:j]), j + 1, true
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	var out strings.Builder
	out.Write(b[start:j])
	run := j
	for j < len(b) {
		c := b[j]
		switch {
		case c == '"':
			out.Write(b[run:j])
			return out.String(), j + 1, true
		case c < 0x20:
			return "", 0, false
		case c != '\\':
			j++
			continue
		}
		out.Write(b[run:j])
		if j+1 >= len(b) {
			return "", 0, false
		}
		switch e := b[j+1]; e {
		case '"', '\\', '/':
			out.WriteByte(e)
		case 'b':
			out.WriteByte('\b')
		case 'f':
			out.WriteByte('\f')
		case 'n':
			out.WriteByte('\n')
		case 'r':
			out.WriteByte('\r')
		case 't':
			out.WriteByte('\t')
		case 'u':
			r, ok := hex4(b, j+2)
			if !ok {
				return "", 0, false
			}
			j += 6
			if utf16.IsSurrogate(r) {
				lo, ok := rune(0), j+1 < len(b) && b[j] == '\\' && b[j+1] == 'u'
				if ok {
					lo, ok = hex4(b, j+2)
				}
				dec := utf16.DecodeRune(r, lo)
				if !ok || dec == utf8.RuneError {
					return "", 0, false
				}
				r = dec
				j += 6
			}
			out.WriteRune(r)
			run = j
			continue
		default:
			return "", 0, false
		}
		j += 2
		run = j
	}
	return "", 0, false
}
