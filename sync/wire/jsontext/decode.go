package jsontext

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Unquote reads the JSON string whose opening quote is b[i] and returns
// its value and the index after its closing quote. It takes only what
// encoding/json takes and the protocol's strict decoder lets through,
// and means the same by it; ok false on anything else: a byte that is
// not UTF-8 or a control byte in the string, an unknown or malformed
// escape, a \u escape of a surrogate that is not half of a pair (which
// encoding/json would silently make U+FFFD), or no closing quote.
func Unquote(b []byte, i int) (s string, next int, ok bool) {
	start := i + 1
	j := plainEnd(b, start)
	if j < 0 {
		return "", 0, false
	}
	if b[j] == '"' {
		return string(b[start:j]), j + 1, true
	}
	// With escapes: find the end first, so that the value is unescaped
	// into one buffer of at most the raw length, which becomes the string
	// (a large text with line breaks would otherwise grow one by
	// doubling, then be copied).
	out := make([]byte, 0, closingQuote(b, j)-start)
	out, next, ok = unescape(append(out, b[start:j]...), b, j)
	if !ok {
		return "", 0, false
	}
	return unsafe.String(unsafe.SliceData(out), len(out)), next, true
}

// plainEnd returns the index of the first quote, backslash or control
// byte at or after j in the string, passing valid UTF-8; -1 at a byte
// that is not UTF-8 or the end of b.
func plainEnd(b []byte, j int) int {
	for {
		j = Plain(b, j)
		if j == len(b) {
			return -1
		}
		c := b[j]
		if c < utf8.RuneSelf {
			return j
		}
		n := RuneLen(b, j)
		if n == 0 {
			return -1
		}
		j += n
	}
}

// unescape appends to out the rest of the string from b[j], a backslash
// or control byte, and returns the index after its closing quote; ok
// false on a control byte, a malformed escape, invalid UTF-8 or no
// closing quote.
func unescape(out, b []byte, j int) (_ []byte, next int, ok bool) {
	if b[j] < 0x20 {
		return out, 0, false
	}
	run := j // the first byte not yet written
	for {
		j = Plain(b, j)
		if j == len(b) {
			return out, 0, false
		}
		switch c := b[j]; {
		case c == '"':
			return append(out, b[run:j]...), j + 1, true
		case c < 0x20:
			return out, 0, false
		case c >= utf8.RuneSelf:
			n := RuneLen(b, j)
			if n == 0 {
				return out, 0, false
			}
			j += n
			continue
		}
		out = append(out, b[run:j]...) // b[j] is a backslash
		r, size, ok := escaped(b, j)
		if !ok {
			return out, 0, false
		}
		out = utf8.AppendRune(out, r)
		j += size
		run = j
	}
}

// escaped returns the character the escape at b[j] (a backslash) stands
// for and the escape's length; ok false if it is malformed or a \u
// escape of a surrogate that is not half of a pair.
func escaped(b []byte, j int) (r rune, size int, ok bool) {
	if j+1 >= len(b) {
		return 0, 0, false
	}
	switch e := b[j+1]; e {
	case '"', '\\', '/':
		return rune(e), 2, true
	case 'b':
		return '\b', 2, true
	case 'f':
		return '\f', 2, true
	case 'n':
		return '\n', 2, true
	case 'r':
		return '\r', 2, true
	case 't':
		return '\t', 2, true
	case 'u':
		r, ok := hex4(b, j+2)
		if !ok {
			return 0, 0, false
		}
		if !utf16.IsSurrogate(r) {
			return r, 6, true
		}
		// Only a pair.
		lo, ok := rune(0), j+7 < len(b) && b[j+6] == '\\' && b[j+7] == 'u'
		if ok {
			lo, ok = hex4(b, j+8)
		}
		dec := utf16.DecodeRune(r, lo)
		if !ok || dec == utf8.RuneError {
			return 0, 0, false
		}
		return dec, 12, true
	}
	return 0, 0, false
}

// UnquoteText is Unquote for a multi-line text of the protocol (a case's
// text, an answer's value, a message's text) that applies the text
// rule's character checks in the same pass: chars is the value's number
// of characters and clean whether it holds nothing the text rule refuses
// in a multi-line text (a control character other than tab, line feed
// and carriage return — escaped, or DEL and U+0080–U+009F as they are —
// U+2028 or U+2029); chars is meaningful only when clean. s, next and ok
// are Unquote's. Printable ASCII and the two-byte letters from U+00C0
// within a word of the scan are passed eight bytes at a time, as
// Printable passes them. FuzzUnquoteText holds it to Unquote and the text
// rule.
func UnquoteText(b []byte, i int) (s string, next, chars int, clean, ok bool) {
	start := i + 1
	j := start
	clean = true
	var out []byte // the value, from the first escape on
	run := start   // the first byte not yet in out
	for {
		k, pairs2 := textStop(b, j)
		chars += k - j - pairs2
		if j = k; j == len(b) {
			return "", 0, 0, false, false
		}
		switch c := b[j]; {
		case c == '"':
			if out == nil {
				return string(b[start:j]), j + 1, chars, clean, true
			}
			out = append(out, b[run:j]...)
			return unsafe.String(unsafe.SliceData(out), len(out)), j + 1, chars, clean, true
		case c < 0x20:
			return "", 0, 0, false, false
		case c == 0x7f:
			clean = false
			chars++
			j++
			continue
		case c >= utf8.RuneSelf:
			n := RuneLen(b, j)
			if n == 0 {
				return "", 0, 0, false, false
			}
			if n == 2 && c == 0xc2 && b[j+1] < 0xa0 || n == 3 && c == 0xe2 && b[j+1] == 0x80 && b[j+2]&^1 == 0xa8 {
				clean = false // U+0080–U+009F, U+2028, U+2029
			}
			chars++
			j += n
			continue
		}
		if out == nil { // b[j] is a backslash
			out = make([]byte, 0, closingQuote(b, j)-start)
		}
		out = append(out, b[run:j]...)
		r, size, ok := escaped(b, j)
		if !ok {
			return "", 0, 0, false, false
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r >= 0x7f && r <= 0x9f || r == '\u2028' || r == '\u2029' {
			clean = false
		}
		out = utf8.AppendRune(out, r)
		chars++
		j += size
		run = j
	}
}

// closingQuote returns the index of the first quote at or after j that
// no backslash escapes, or len(b); bytes.IndexByte finds the candidates.
func closingQuote(b []byte, j int) int {
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return len(b)
		}
		q := j + k
		n := 0 // backslashes just before the quote
		for q-n-1 >= j && b[q-n-1] == '\\' {
			n++
		}
		if n%2 == 0 {
			return q
		}
		j = q + 1
	}
}

// hex4 reads four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
