package jsontext

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// AppendQuoted appends s as a JSON string exactly as encoding/json writes
// it: quoted, '"' and '\\' escaped, the control characters as \b \f \n \r
// \t or \u00XX, U+2028 and U+2029 as \u2028 and \u2029, each byte that is
// not UTF-8 as \ufffd, and with html (json.Marshal's default, which
// Encoder.SetEscapeHTML(false) turns off) '<', '>' and '&' as \u003c,
// \u003e and \u0026. Runs of ordinary ASCII are copied whole.
func AppendQuoted(dst []byte, s string, html bool) []byte {
	dst = append(dst, '"')
	start := 0 // the first byte not yet written
	for i := 0; ; {
		if html {
			i = plainHTML(s, i)
		} else {
			i = Plain(s, i)
		}
		if i == len(s) {
			break
		}
		b := s[i]
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			dst = appendEscapedASCII(dst, b)
			i++
			start = i
			continue
		}
		if b >= 0xc2 && b <= 0xdf && i+1 < len(s) && s[i+1]&0xc0 == 0x80 {
			i += 2 // U+0080–U+07FF (å, ä, ö): as it is
			continue
		}
		r, size := decodeRune(s, i)
		switch {
		case size == 1: // not UTF-8
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			start = i + 1
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
