package cases

import (
	"bytes"
	"encoding/binary"
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
// 2+len(s) and b[0] is the quote. It is led by b: the encoding of s has
// a backslash exactly where it escapes a byte or rune of s and a quote
// only at its end or escaped, so the runs of b between them (found with
// bytes.IndexByte) are compared whole with s, and s's bytes in each are
// checked for the few the encoder escapes that cannot be told from b
// (a control character, U+2028, U+2029), eight at a time.
func matchValid(b []byte, s string) (n, steps int) {
	pos, i := 1, 0
	quote, backslash := -1, -1 // the next in b at or after pos; len(b): none
	next := func(c byte) int {
		if k := bytes.IndexByte(b[pos:], c); k >= 0 {
			return pos + k
		}
		return len(b)
	}
	for {
		if quote < pos {
			quote = next('"')
		}
		if backslash < pos {
			backslash = next('\\')
		}
		end := min(quote, backslash)
		if end == len(b) {
			return -1, steps
		}
		k := end - pos
		if len(s)-i < k || string(b[pos:end]) != s[i:i+k] || escapable(s[i:i+k]) {
			return -1, steps
		}
		pos, i = end, i+k
		if b[pos] == '"' {
			if i != len(s) {
				return -1, steps
			}
			return pos + 1, steps
		}
		if i == len(s) {
			return -1, steps
		}
		esc, size := escapeAt(s, i)
		steps++
		if esc == "" || !bytes.HasPrefix(b[pos:], []byte(esc)) {
			return -1, steps
		}
		pos, i = pos+len(esc), i+size
	}
}

// escapable reports whether s, valid UTF-8 without '"' or '\\', holds
// what the encoder escapes: a control character, U+2028 or U+2029
// (0xe2 0x80 0xa8 or 0xa9); eight bytes at a time.
func escapable(s string) bool {
	const (
		lo = 0x0101010101010101
		hi = 0x8080808080808080
		e2 = lo * 0xe2
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		// "Has a byte less than 0x20", "has a zero byte" on x^e2: exact
		// for whether the word has one.
		if ((x-lo*0x20)&^x|((x^e2)-lo)&^(x^e2))&hi != 0 && escapableAt(s, i, i+8) {
			return true
		}
	}
	return escapableAt(s, i, len(s))
}

// escapableAt is escapable for the bytes of s from i to end (a rune
// starting there may end after it).
func escapableAt(s string, i, end int) bool {
	for ; i < end; i++ {
		switch c := s[i]; {
		case c < 0x20:
			return true
		case c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9):
			return true
		}
	}
	return false
}
