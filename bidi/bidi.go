package bidi

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// controls is every code point this package changes, for the fast test.
const controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"

// replacement is shown where an embedding, override or isolate was.
const replacement = '\ufffd'

// action is what becomes of r: -1 removed, replacement, or r kept.
func action(r rune) rune {
	switch {
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return replacement
	case r == 0x200e, r == 0x200f, r == 0x061c:
		return -1
	}
	return r
}

// Neutralise returns s with the bidi controls replaced or removed (see the
// package doc). Invalid UTF-8 is left as it is.
func Neutralise(s string) string {
	if !strings.ContainsAny(s, controls) {
		return s
	}
	return string(NeutraliseHTML([]byte(s)))
}

// NeutraliseHTML is Neutralise for a rendered page's bytes. It returns b
// itself when b holds no control.
func NeutraliseHTML(b []byte) []byte {
	if !bytes.ContainsAny(b, controls) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch a := action(r); {
		case r == utf8.RuneError && n <= 1:
			out = append(out, b[0]) // not UTF-8: kept byte for byte
		case a < 0:
		case a != r:
			out = utf8.AppendRune(out, a)
		default:
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}
