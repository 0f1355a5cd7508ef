package bidi

import "bytes"

// The controls in UTF-8: U+200E E2 80 8E, U+200F E2 80 8F, U+202A–U+202E
// E2 80 AA–AE, U+2066–U+2069 E2 81 A6–A9, U+061C D8 9C. Neither E2 nor D8
// is ever a continuation byte, so matching bytes finds exactly these code
// points in valid UTF-8 and leaves invalid bytes as they are. A byte scan
// keeps a clean page's cost low (see BenchmarkNeutraliseHTML).

// replacement is shown where an embedding, override or isolate was.
const replacement = "\ufffd"

// find returns where the first control in b starts, its length in bytes
// and whether it is replaced (else removed); at is -1 when there is none.
func find(b []byte) (at, n int, replace bool) {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case 0xe2:
			if i+2 < len(b) {
				c1, c2 := b[i+1], b[i+2]
				switch {
				case c1 == 0x80 && (c2 == 0x8e || c2 == 0x8f):
					return i, 3, false
				case c1 == 0x80 && c2 >= 0xaa && c2 <= 0xae, c1 == 0x81 && c2 >= 0xa6 && c2 <= 0xa9:
					return i, 3, true
				}
			}
		case 0xd8:
			if i+1 < len(b) && b[i+1] == 0x9c {
				return i, 2, false
			}
		}
	}
	return -1, 0, false
}

// Neutralise returns s with the bidi controls replaced or removed (see the
// package doc). Invalid UTF-8 is left as it is in a text without
// controls, and replaced by U+FFFD in one with them.
func Neutralise(s string) string {
	b := []byte(s)
	if at, _, _ := find(b); at < 0 {
		return s
	}
	return string(NeutraliseHTML(b))
}

// NeutraliseHTML is Neutralise for a rendered page's bytes. It returns b
// itself when b holds no control.
//
// When it does, invalid UTF-8 in b becomes U+FFFD first (as a browser
// shows it): otherwise removing a mark could join the bytes around it
// into a new character, a control among them ("\xe2\x80" RLM "\xae"
// would become RLO; found by FuzzNeutralise).
func NeutraliseHTML(b []byte) []byte {
	at, _, _ := find(b)
	if at < 0 {
		return b
	}
	b = bytes.ToValidUTF8(b, []byte(replacement))
	at, n, replace := find(b)
	out := make([]byte, 0, len(b)+8)
	for at >= 0 {
		out = append(out, b[:at]...)
		if replace {
			out = append(out, replacement...)
		}
		b = b[at+n:]
		at, n, replace = find(b)
	}
	return append(out, b...)
}
