package cases

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// appendJSONString appends s as the wire's canonical encoding writes a
// string (wire.EncodeEvent: encoding/json without HTML escaping): quoted,
// with \" \\ \b \f \n \r \t, \u00XX for the other control characters,
// \ufffd for each byte that is not UTF-8 and \u2028, \u2029 escaped.
// TestAppendJSONString and FuzzAppendJSONString keep it in step with the
// encoder; a slim journal record depends on it (journalslim.go).
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		i = plainRun(s, i)
		if i == len(s) {
			break
		}
		esc, size := escapeAt(s, i)
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

// matchJSONString returns the length of appendJSONString(nil, s) if b
// starts with it, else -1; it compares in place, without encoding s.
func matchJSONString(b []byte, s string) int {
	n, _ := matchJSONStringSteps(b, s, false)
	return n
}

// matchValidJSONString is matchJSONString for s known to be valid
// UTF-8 (a text the sync protocol checked): it looks one by one only at
// the bytes the encoder escapes, and compares the runs between them
// whole. FuzzMatchValidJSONString holds it to matchJSONString.
func matchValidJSONString(b []byte, s string) int {
	n, _ := matchJSONStringSteps(b, s, true)
	return n
}

// matchJSONStringSteps is matchJSONString, also returning how many
// bytes of s it looked at one by one (escapeAt). When valid (s is valid
// UTF-8), a letter that is not ASCII is not looked at: the encoder
// writes every valid rune as it is but U+2028 and U+2029.
func matchJSONStringSteps(b []byte, s string, valid bool) (n, steps int) {
	if len(b) < 2+len(s) || b[0] != '"' {
		return -1, 0
	}
	if valid {
		return matchValid(b, s)
	}
	pos, start := 1, 0
	for i := 0; i < len(s); {
		i = plainRun(s, i)
		if i == len(s) {
			break
		}
		esc, size := escapeAt(s, i)
		steps++
		if esc == "" {
			i += size
			continue
		}
		seg := s[start:i]
		if len(b)-pos < len(seg)+len(esc) || string(b[pos:pos+len(seg)]) != seg || string(b[pos+len(seg):pos+len(seg)+len(esc)]) != esc {
			return -1, steps
		}
		pos += len(seg) + len(esc)
		i += size
		start = i
	}
	seg := s[start:]
	if len(b)-pos < len(seg)+1 || string(b[pos:pos+len(seg)]) != seg || b[pos+len(seg)] != '"' {
		return -1, steps
	}
	return pos + len(seg) + 1, steps
}

// The escapes of the control characters, \u0000 to \u001f.
var controlEscapes = func() (e [0x20]string) {
	const hex = "0123456789abcdef"
	for b := range e {
		e[b] = `\u00` + string(hex[b>>4]) + string(hex[b&0xF])
	}
	e['\b'], e['\f'], e['\n'], e['\r'], e['\t'] = `\b`, `\f`, `\n`, `\r`, `\t`
	return e
}()

// escapeAt returns how the encoder writes the byte or rune at s[i] (not
// a plain ASCII byte) and its size in s; "" if it writes it as it is.
func escapeAt(s string, i int) (string, int) {
	b := s[i]
	switch {
	case b < 0x20:
		return controlEscapes[b], 1
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

// plainRun returns the index of the first byte of s at or after i that
// is not plain ASCII (a control character, '"', '\\' or a byte ≥ 0x80),
// or len(s); eight bytes at a time.
func plainRun(s string, i int) int {
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
			if !plainByte(s[j]) {
				return j
			}
		}
	}
	for ; i < len(s); i++ {
		if !plainByte(s[i]) {
			return i
		}
	}
	return i
}

func plainByte(b byte) bool {
	return b >= 0x20 && b != '"' && b != '\\' && b < utf8.RuneSelf
}

// matchValid is matchJSONStringSteps for valid UTF-8 s; len(b) ≥
// 2+len(s) and b[0] is the quote.
func matchValid(b []byte, s string) (n, steps int) {
	pos, start := 1, 0
	for i := 0; ; {
		i = escapedRun(s, i)
		if i == len(s) {
			break
		}
		esc, size := escapeAt(s, i)
		steps++
		if esc == "" { // a rune starting with 0xe2 other than U+2028, U+2029
			i += size
			continue
		}
		seg := s[start:i]
		if len(b)-pos < len(seg)+len(esc) || string(b[pos:pos+len(seg)]) != seg || string(b[pos+len(seg):pos+len(seg)+len(esc)]) != esc {
			return -1, steps
		}
		pos += len(seg) + len(esc)
		i += size
		start = i
	}
	seg := s[start:]
	if len(b)-pos < len(seg)+1 || string(b[pos:pos+len(seg)]) != seg || b[pos+len(seg)] != '"' {
		return -1, steps
	}
	return pos + len(seg) + 1, steps
}

// escapedRun returns the index of the first byte of s at or after i that
// the encoder may escape when s is valid UTF-8 — a control character,
// '"', '\\' or 0xe2, the first byte of U+2028 and U+2029 — or len(s);
// eight bytes at a time, letters that are not ASCII included.
func escapedRun(s string, i int) int {
	const (
		lo   = 0x0101010101010101
		hi   = 0x8080808080808080
		quot = lo * '"'
		bsl  = lo * '\\'
		e2   = lo * 0xe2
	)
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		// The lowest byte flagged by each test ("has a byte less than
		// 0x20", "has a zero byte" on x^quot, x^bsl and x^e2) is one it
		// looks for; a borrow flags only bytes above one that is.
		m := ((x - lo*0x20) &^ x) | ((x^quot)-lo)&^(x^quot) | ((x^bsl)-lo)&^(x^bsl) | ((x^e2)-lo)&^(x^e2)
		if m &= hi; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == 0xe2 {
			return i
		}
	}
	return i
}
