package jsontext

import "unicode/utf8"

// MatchQuoted returns the length of AppendQuoted(nil, s, html) if b
// starts with it, else -1. It compares in place, without encoding s.
func MatchQuoted(b []byte, s string, html bool) int {
	if len(b) < 2+len(s) || b[0] != '"' {
		return -1
	}
	pos, start := 1, 0 // b[pos:] is to match s[start:]
	var buf [6]byte    // an escape
	for i := 0; ; {
		if html {
			i = plainHTML(s, i)
		} else {
			i = Plain(s, i)
		}
		if i == len(s) {
			break
		}
		var esc []byte
		size := 1
		if c := s[i]; c < utf8.RuneSelf {
			esc = appendEscapedASCII(buf[:0], c)
		} else if c >= 0xc2 && c <= 0xdf && i+1 < len(s) && s[i+1]&0xc0 == 0x80 {
			i += 2 // U+0080–U+07FF: as it is
			continue
		} else {
			var r rune
			switch r, size = decodeRune(s, i); {
			case size == 1:
				esc = append(buf[:0], `\ufffd`...)
			case r == '\u2028' || r == '\u2029':
				esc = append(buf[:0], '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			default:
				i += size
				continue
			}
		}
		seg := s[start:i]
		if len(b)-pos < len(seg)+len(esc) || string(b[pos:pos+len(seg)]) != seg || string(b[pos+len(seg):pos+len(seg)+len(esc)]) != string(esc) {
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
