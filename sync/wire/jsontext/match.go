package jsontext

// MatchQuoted returns the length of AppendQuoted(nil, s, html) if b
// starts with it, else -1. It compares in place, without encoding s.
func MatchQuoted(b []byte, s string, html bool) int {
	if len(b) < 2+len(s) || b[0] != '"' {
		return -1
	}
	var buf [6]byte
	pos, start := 1, 0 // b[pos:] is to match s[start:]
	for i := 0; ; {
		if i = next(s, i, html); i == len(s) {
			break
		}
		esc, size := escapeAt(&buf, s, i)
		if esc != nil {
			seg := s[start:i]
			if len(b)-pos < len(seg)+len(esc) || string(b[pos:pos+len(seg)]) != seg || string(b[pos+len(seg):pos+len(seg)+len(esc)]) != string(esc) {
				return -1
			}
			pos += len(seg) + len(esc)
			start = i + size
		}
		i += size
	}
	seg := s[start:]
	if len(b)-pos < len(seg)+1 || string(b[pos:pos+len(seg)]) != seg || b[pos+len(seg)] != '"' {
		return -1
	}
	return pos + len(seg) + 1
}
