package jsontext

import (
	"bytes"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
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
	j := start
	for {
		j = Plain(b, j)
		if j == len(b) {
			return "", 0, false
		}
		c := b[j]
		if c == '"' {
			return string(b[start:j]), j + 1, true
		}
		if c < utf8.RuneSelf {
			break // a backslash or a control byte
		}
		n := RuneLen(b, j)
		if n == 0 {
			return "", 0, false
		}
		j += n
	}
	if b[j] < 0x20 {
		return "", 0, false
	}
	// With escapes: find the end first, so that the value is unescaped
	// into one buffer of at most the raw length, which becomes the string
	// (a large text with line breaks would otherwise grow one by
	// doubling, then be copied).
	end := closingQuote(b, j)
	var out strings.Builder
	out.Grow(end - start)
	out.Write(b[start:j])
	run := j // the first byte not yet written
	for {
		j = Plain(b, j)
		if j == len(b) {
			return "", 0, false
		}
		switch c := b[j]; {
		case c == '"':
			out.Write(b[run:j])
			return out.String(), j + 1, true
		case c < 0x20:
			return "", 0, false
		case c >= utf8.RuneSelf:
			n := RuneLen(b, j)
			if n == 0 {
				return "", 0, false
			}
			j += n
			continue
		}
		out.Write(b[run:j]) // b[j] is a backslash
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
			if utf16.IsSurrogate(r) { // only a pair
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
