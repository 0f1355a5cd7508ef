package cases

import (
	"bytes"
	"encoding/binary"
	"strings"

	"clinicgw/sync/wire/jsontext"
)

// appendJSONString appends s as the wire's canonical encoding writes a
// string (wire.EncodeEvent: encoding/json without HTML escaping), with
// jsontext's loop. TestAppendJSONString and FuzzAppendJSONString keep it
// in step with the encoder; a slim journal record depends on it
// (journalslim.go).
func appendJSONString(dst []byte, s string) []byte {
	return jsontext.AppendQuoted(dst, s, false)
}

// matchJSONString returns the length of appendJSONString(nil, s) if b
// starts with it, else -1; it compares in place, without encoding s.
func matchJSONString(b []byte, s string) int {
	return jsontext.MatchQuoted(b, s, false)
}

// matchValidJSONString is matchJSONString for s known to be valid
// UTF-8 (a text the sync protocol checked): it looks one by one only at
// the bytes the encoder escapes, and compares the runs between them
// whole. FuzzMatchValidJSONString holds it to matchJSONString.
func matchValidJSONString(b []byte, s string) int {
	n, _ := matchValidSteps(b, s)
	return n
}

// matchValidSteps is matchValidJSONString, also returning how many bytes
// of s it looked at one by one (at the encoding's escapes, and where
// escapable did): a letter
// that is not ASCII is not looked at, the encoder writing every valid
// rune as it is but U+2028 and U+2029.
func matchValidSteps(b []byte, s string) (n, steps int) {
	if len(b) < 2+len(s) || b[0] != '"' {
		return -1, 0
	}
	return matchValid(b, s)
}

// matchValid is matchValidSteps once b is long enough and quoted; len(b) ≥
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
		if len(s)-i < k || string(b[pos:end]) != s[i:i+k] {
			return -1, steps
		}
		escapes, looked := escapableSteps(s[i : i+k])
		steps += looked
		if escapes {
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
		var buf [6]byte
		esc, size := jsontext.Escape(&buf, s, i, false)
		steps++
		if esc == nil || !bytes.HasPrefix(b[pos:], esc) {
			return -1, steps
		}
		pos, i = pos+len(esc), i+size
	}
}

// escapable reports whether s, valid UTF-8 without '"' or '\\', holds
// what the encoder escapes: a control character, U+2028 or U+2029
// (0xe2 0x80 0xa8 or 0xa9).
func escapable(s string) bool {
	esc, _ := escapableSteps(s)
	return esc
}

// escapableSteps is escapable, also returning how many bytes it looked
// at one by one: only each 0xe2 (found by strings.IndexByte), the first
// byte of U+2028 and U+2029 and of other characters of three bytes (a
// dash); the control characters are looked for eight bytes at a time.
func escapableSteps(s string) (bool, int) {
	if hasControl(s) {
		return true, 0
	}
	steps := 0
	for j := 0; ; j++ {
		k := strings.IndexByte(s[j:], 0xe2)
		if k < 0 {
			return false, steps
		}
		j += k
		steps++
		if j+2 < len(s) && s[j+1] == 0x80 && s[j+2]|1 == 0xa9 {
			return true, steps
		}
	}
}

// hasControl reports whether s holds a byte below 0x20, eight bytes at
// a time, four words to a test: the last word overlaps the one before
// it, a string shorter than a word is padded with spaces. The loops
// take s apart by reslicing, so that no word's load is bounds-checked.
func hasControl(s string) bool {
	const (
		lo = 0x0101010101010101
		hi = 0x8080808080808080
	)
	// The bytes less than 0x20 flagged (& hi): exact for whether the
	// word has one (a borrow moves only upward from a byte that is less).
	less := func(x uint64) uint64 { return (x - lo*0x20) &^ x }
	if len(s) < 8 {
		w := [8]byte{' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '}
		copy(w[:], s)
		return less(binary.LittleEndian.Uint64(w[:]))&hi != 0
	}
	b := []byte(s)
	for len(b) >= 32 {
		m := less(binary.LittleEndian.Uint64(b[0:8])) | less(binary.LittleEndian.Uint64(b[8:16])) |
			less(binary.LittleEndian.Uint64(b[16:24])) | less(binary.LittleEndian.Uint64(b[24:32]))
		if m&hi != 0 {
			return true
		}
		b = b[32:]
	}
	for len(b) >= 8 {
		if less(binary.LittleEndian.Uint64(b[0:8]))&hi != 0 {
			return true
		}
		b = b[8:]
	}
	return len(b) > 0 && less(binary.LittleEndian.Uint64([]byte(s[len(s)-8:])))&hi != 0
}
