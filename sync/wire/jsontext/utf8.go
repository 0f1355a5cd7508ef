package jsontext

import "unicode/utf8"

// decodeRune is utf8.DecodeRune on s[i:] (s[i] ≥ 0x80) for either kind
// of Text, without converting it: the character and its length, or
// utf8.RuneError and 1 where the bytes are not valid UTF-8 (an overlong
// form, a surrogate, beyond U+10FFFF, cut short). FuzzDecodeRune holds
// it to the utf8 package.
func decodeRune[T Text](s T, i int) (rune, int) {
	n, c := len(s)-i, s[i]
	cont := func(k int, lo, hi byte) bool { return k < n && s[i+k] >= lo && s[i+k] <= hi }
	switch {
	case c < 0xc2:
	case c < 0xe0:
		if cont(1, 0x80, 0xbf) {
			return rune(c&0x1f)<<6 | rune(s[i+1]&0x3f), 2
		}
	case c < 0xf0:
		lo, hi := byte(0x80), byte(0xbf)
		switch c {
		case 0xe0:
			lo = 0xa0 // else overlong
		case 0xed:
			hi = 0x9f // else a surrogate
		}
		if cont(1, lo, hi) && cont(2, 0x80, 0xbf) {
			return rune(c&0x0f)<<12 | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f), 3
		}
	case c < 0xf5:
		lo, hi := byte(0x80), byte(0xbf)
		switch c {
		case 0xf0:
			lo = 0x90 // else overlong
		case 0xf4:
			hi = 0x8f // else beyond U+10FFFF
		}
		if cont(1, lo, hi) && cont(2, 0x80, 0xbf) && cont(3, 0x80, 0xbf) {
			return rune(c&0x07)<<18 | rune(s[i+1]&0x3f)<<12 | rune(s[i+2]&0x3f)<<6 | rune(s[i+3]&0x3f), 4
		}
	}
	return utf8.RuneError, 1
}
