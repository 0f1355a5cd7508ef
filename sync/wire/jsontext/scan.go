package jsontext

import "math/bits"

// Text is what the scans read: a string or a byte slice.
type Text interface{ string | []byte }

const (
	lo = 0x0101010101010101 // 0x01 in every byte
	hi = 0x8080808080808080 // 0x80 in every byte
)

// word returns the eight bytes of s at i, little-endian (the first byte
// lowest); the compiler makes it one load.
func word[T Text](s T, i int) uint64 {
	w := s[i : i+8]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// The scans test a word x with masks that have the high bit set in each
// byte that needs attention, exact for the lowest such byte: a borrow of a subtraction
// moves only upward, and only from a byte that is itself flagged, so a
// byte above one may be flagged wrongly but never one below.

// below returns the bytes of x less than n (n ≤ 0x80) flagged, and those
// ≥ 0x80 not.
func below(x, n uint64) uint64 { return (x - lo*n) &^ x }

// equal returns the bytes of x equal to c flagged.
func equal(x, c uint64) uint64 {
	y := x ^ lo*c
	return (y - lo) &^ y
}

// pairs returns the first bytes of the two-byte UTF-8 characters in x
// whose second byte is in x too, flagged: a lead byte C2–DF (C0 and C1
// would be overlong; from minLead on) followed by a continuation byte
// 80–BF. Each mask is exact in every byte: no subtraction.
func pairs(x uint64, minLead uint64) uint64 {
	cont := x &^ (x << 1) & hi                                                      // 10xxxxxx
	lead := x & (x << 1) &^ (x << 2) & ((x & (lo * 0x1f)) + lo*(0x80-minLead)) & hi // 110xxxxx, low bits ≥ minLead
	return lead & (cont >> 8)
}

// unpaired returns the bytes of x ≥ 0x80 that are not part of a pair
// (pairs) flagged.
func unpaired(x, p uint64) uint64 { return x & hi &^ (p | p<<8) }

// first returns the index in its word of the lowest flagged byte of m ≠ 0.
func first(m uint64) int { return bits.TrailingZeros64(m) >> 3 }

// Plain returns the index of the first byte of s at or after i that is a
// control byte (< 0x20), '"', '\\' or not ASCII (≥ 0x80); len(s) if none.
// It does not stop inside a two-byte UTF-8 character (U+0080–U+07FF: å,
// ä, ö) that lies within one word of the scan, only at one that crosses
// a word or at any other byte ≥ 0x80, so i must be at a character's
// first byte and s[result], if ≥ 0x80, is one too.
func Plain[T Text](s T, i int) int {
	for ; i+8 <= len(s); i += 8 {
		x := word(s, i)
		m := (below(x, 0x20) | equal(x, '"') | equal(x, '\\')) & hi
		if x&hi != 0 {
			m |= unpaired(x, pairs(x, 2))
		}
		if m != 0 {
			return i + first(m)
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return i
		}
	}
	return i
}

// plainHTML is Plain that stops at '<', '>' and '&' too.
func plainHTML[T Text](s T, i int) int {
	for ; i+8 <= len(s); i += 8 {
		x := word(s, i)
		// '"' (0x22) and '&' (0x26) are the bytes that are 0x26 with bit
		// 2 set, '<' (0x3C) and '>' (0x3E) those that are 0x3E with bit 1.
		m := (below(x, 0x20) | equal(x|lo*0x04, '&') | equal(x|lo*0x02, '>') | equal(x, '\\')) & hi
		if x&hi != 0 {
			m |= unpaired(x, pairs(x, 2))
		}
		if m != 0 {
			return i + first(m)
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80 {
			return i
		}
	}
	return i
}

// Printable returns the index j of the first byte of s at or after i
// that is not printable ASCII (0x20–0x7E) — a control byte, DEL or a byte
// of a character beyond ASCII — or len(s) if none, and how many
// characters of two bytes it passed. Like Plain it passes a two-byte
// character within one word of the scan, but only from U+00C0 (lead byte
// C3–DF: å, ä, ö, é), none of which is a control or separator; it stops
// at every other byte ≥ 0x80, a character's first byte if i is one.
func Printable[T Text](s T, i int) (j, pairs2 int) {
	for ; i+8 <= len(s); i += 8 {
		x := word(s, i)
		m := (below(x, 0x20) | equal(x, 0x7f)) & hi
		if x&hi != 0 {
			p := pairs(x, 3)
			if m |= unpaired(x, p); m != 0 {
				p &= 1<<(first(m)*8) - 1 // the pairs before the stop
			}
			pairs2 += bits.OnesCount64(p)
		}
		if m != 0 {
			return i + first(m), pairs2
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c-0x20 >= 0x5f {
			return i, pairs2
		}
	}
	return i, pairs2
}

// textStop is Printable on a JSON string's raw bytes that stops at '"'
// and '\\' too (UnquoteText): the index of the first byte at or after i
// that is a control byte, '"', '\\', DEL or a byte of a character beyond
// ASCII but the two-byte ones from U+00C0 within a word, and how many of
// those it passed.
func textStop(b []byte, i int) (j, pairs2 int) {
	for ; i+8 <= len(b); i += 8 {
		x := word(b, i)
		m := (below(x, 0x20) | equal(x, '"') | equal(x, '\\') | equal(x, 0x7f)) & hi
		if x&hi != 0 {
			p := pairs(x, 3)
			if m |= unpaired(x, p); m != 0 {
				p &= 1<<(first(m)*8) - 1 // the pairs before the stop
			}
			pairs2 += bits.OnesCount64(p)
		}
		if m != 0 {
			return i + first(m), pairs2
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			return i, pairs2
		}
	}
	return i, pairs2
}

// RuneLen returns the length of the valid UTF-8 encoding of a character
// beyond ASCII at s[i] (s[i] ≥ 0x80), 0 if the bytes there are not one.
// The two-byte characters of Latin-1 and the rest of U+0080–U+07FF (å, ä,
// ö, é) are read in place.
func RuneLen[T Text](s T, i int) int {
	c := s[i]
	if c >= 0xc2 && c <= 0xdf && i+1 < len(s) && s[i+1]&0xc0 == 0x80 {
		return 2 // C0 and C1 would be overlong
	}
	if _, size := decodeRune(s, i); size > 1 {
		return size
	}
	return 0
}
