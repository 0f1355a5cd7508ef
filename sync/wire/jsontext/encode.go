package jsontext

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// AppendQuoted appends s as a JSON string exactly as encoding/json writes
// it: quoted, '"' and '\\' escaped, the control characters as \b \f \n \r
// \t or \u00XX, U+2028 and U+2029 as \u2028 and \u2029, each byte that is
// not UTF-8 as \ufffd, and with html (json.Marshal's default, which
// Encoder.SetEscapeHTML(false) turns off) '<', '>' and '&' as \u003c,
// \u003e and \u0026. Runs of ordinary text are copied whole.
func AppendQuoted(dst []byte, s string, html bool) []byte {
	dst = append(dst, '"')
	var buf [6]byte
	start := 0 // the first byte not yet written
	for i := 0; ; {
		if i = next(s, i, html); i == len(s) {
			break
		}
		esc, size := escapeAt(&buf, s, i)
		if esc != nil {
			dst = append(dst, s[start:i]...)
			dst = append(dst, esc...)
			start = i + size
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// next returns where the encoder must look at s from i on: Plain, or with
// html plainHTML.
func next(s string, i int, html bool) int {
	if html {
		return plainHTML(s, i)
	}
	return Plain(s, i)
}

// Escape returns how AppendQuoted(…, html) writes the byte or character
// at s[i]: its escape written in buf, nil if as it is, and its length in
// s. Unlike the scans it may be asked about any byte.
func Escape(buf *[6]byte, s string, i int, html bool) (esc []byte, size int) {
	if next(s[i:i+1], 0, html) == 1 {
		return nil, 1 // an ASCII byte written as it is
	}
	return escapeAt(buf, s, i)
}

// escapeAt returns the escape the encoder writes for the byte or
// character at s[i], where a scan stopped, written in buf (nil: it is
// written as it is), and its length in s.
func escapeAt(buf *[6]byte, s string, i int) (esc []byte, size int) {
	b := s[i]
	if b < utf8.RuneSelf {
		return appendEscapedASCII(buf[:0], b), 1
	}
	if b >= 0xc2 && b <= 0xdf && i+1 < len(s) && s[i+1]&0xc0 == 0x80 {
		return nil, 2 // U+0080–U+07FF (å, ä, ö): as it is
	}
	r, size := decodeRune(s, i)
	switch {
	case size == 1: // not UTF-8
		return append(buf[:0], `\ufffd`...), 1
	case r == '\u2028' || r == '\u2029':
		return append(buf[:0], '\\', 'u', '2', '0', '2', hexDigits[r&0xF]), size
	}
	return nil, size
}

// appendEscapedASCII appends the escape encoding/json writes for b, an
// ASCII byte it does not copy.
func appendEscapedASCII(dst []byte, b byte) []byte {
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
