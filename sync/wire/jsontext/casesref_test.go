package jsontext

import (
	"encoding/binary"
	"unicode/utf8"
)

// The string loops of agent/cases (jsonstring.go) as they are, the
// reference MatchQuoted and AppendQuoted without HTML escaping are held to
// (FuzzMatchQuoted), so that cases may use them instead.

func appendJSONStringCases(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		i = plainRunCases(s, i)
		if i == len(s) {
			break
		}
		esc, size := escapeAtCases(s, i)
		if esc == "" {
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, esc...)
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// matchJSONStringCases returns the length of appendJSONStringCases(nil, s) if b
// starts with it, else -1; it compares in place, without encoding s.
func matchJSONStringCases(b []byte, s string) int {
	if len(b) < 2+len(s) || b[0] != '"' {
		return -1
	}
	pos, start := 1, 0
	for i := 0; i < len(s); {
		i = plainRunCases(s, i)
		if i == len(s) {
			break
		}
		esc, size := escapeAtCases(s, i)
		if esc == "" {
			i += size
			continue
		}
		seg := s[start:i]
		if len(b)-pos < len(seg)+len(esc) || string(b[pos:pos+len(seg)]) != seg || string(b[pos+len(seg):pos+len(seg)+len(esc)]) != esc {
			return -1
		}
		pos += len(seg) + len(esc)
		i += size
		start = i
	}
	seg := s[start:]
	if len(b)-pos < len(seg)+1 || string(b[pos:pos+len(seg)]) != seg || b[pos+len(seg)] != '"' {
		return -1
	}
	return pos + len(seg) + 1
}

// The escapes of the control characters, \u0000 to \u001f.
var controlEscapesCases = func() (e [0x20]string) {
	const hex = "0123456789abcdef"
	for b := range e {
		e[b] = `\u00` + string(hex[b>>4]) + string(hex[b&0xF])
	}
	e['\b'], e['\f'], e['\n'], e['\r'], e['\t'] = `\b`, `\f`, `\n`, `\r`, `\t`
	return e
}()

// escapeAtCases returns how the encoder writes the byte or rune at s[i] (not
// a plain ASCII byte) and its size in s; "" if it writes it as it is.
func escapeAtCases(s string, i int) (string, int) {
	b := s[i]
	switch {
	case b < 0x20:
		return controlEscapesCases[b], 1
	case b == '"':
		return `\"`, 1
	case b == '\\':
		return `\\`, 1
	case b < utf8.RuneSelf:
		return "", 1
	}
	if b >= 0xc2 && b <= 0xdf && i+1 < len(s) && s[i+1]&0xc0 == 0x80 {
		return "", 2 // a two-byte rune (å, ä, ö): written as it is
	}
	c, size := utf8.DecodeRuneInString(s[i:])
	switch {
	case c == utf8.RuneError && size == 1:
		return `\ufffd`, 1
	case c == '\u2028':
		return `\u2028`, size
	case c == '\u2029':
		return `\u2029`, size
	}
	return "", size
}

// plainRunCases returns the index of the first byte of s at or after i that
// is not plain ASCII (a control character, '"', '\\' or a byte ≥ 0x80),
// or len(s); eight bytes at a time.
func plainRunCases(s string, i int) int {
	const (
		lo   = 0x0101010101010101
		hi   = 0x8080808080808080
		quot = lo * '"'
		bsl  = lo * '\\'
	)
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		// Any byte < 0x20, '"', '\\' or ≥ 0x80 sets a high bit here (the
		// "has a zero byte" test on x-0x20, x^quot and x^bsl, without its
		// mask, so that a borrow may flag a plain word too: its bytes are
		// then looked at one by one).
		if ((x-lo*0x20)|((x^quot)-lo)|((x^bsl)-lo)|x)&hi == 0 {
			continue
		}
		for j := i; j < i+8; j++ {
			if !plainByteCases(s[j]) {
				return j
			}
		}
	}
	for ; i < len(s); i++ {
		if !plainByteCases(s[i]) {
			return i
		}
	}
	return i
}

func plainByteCases(b byte) bool {
	return b >= 0x20 && b != '"' && b != '\\' && b < utf8.RuneSelf
}
