package cases

import (
	"bytes"
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
// UTF-8 (a text the sync protocol checked) and b JSON its decoder took
// (no control byte as it is in a string): it looks one by one only at
// the bytes the encoder escapes, and compares the runs between them
// whole. FuzzMatchValidJSONString holds it to matchJSONString.
func matchValidJSONString(b []byte, s string) int {
	n, _ := matchValidSteps(b, s)
	return n
}

// matchValidSteps is matchValidJSONString, also returning how many bytes
// of s it looked at itself, one by one (at the encoding's escapes) or a
// word at a time, rather than with the runtime's searches and
// comparisons: a letter that is not ASCII is not looked at, the encoder
// writing every valid rune as it is but U+2028 and U+2029.
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
		found, looked := escapable(s[i : i+k])
		if steps += looked; found {
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

// escapable reports whether s, a run of a string in JSON that the sync
// protocol's decoder took (valid UTF-8 without '"' or '\\'), holds what
// the encoder escapes, and how many of its bytes it looked at itself.
// Such a string holds no control character as it is (every decoder of
// the protocol refuses one: JSON has it escaped), so only U+2028 and
// U+2029 (0xe2 0x80 0xa8 or 0xa9) remain, found from their first byte by
// the runtime's search: a byte looked at for each 0xe2 (–, ”, € have it
// too), none for the rest of the text. FuzzMatchValidJSONString holds it
// to the reference on any bytes without a control byte.
func escapable(s string) (found bool, looked int) {
	for i := 0; ; {
		k := strings.IndexByte(s[i:], 0xe2)
		if k < 0 {
			return false, looked
		}
		i += k
		looked++
		if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9) {
			return true, looked
		}
		i++
	}
}
