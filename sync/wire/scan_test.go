package wire

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// checkEncodingBefore is checkEncoding as it was written before it
// skipped to quotes and backslashes with bytes.IndexByte: byte by byte.
func checkEncodingBefore(b []byte) error {
	if !utf8.Valid(b) {
		return BadRequest("The body is not valid UTF-8.")
	}
	in := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			in = !in
		case c == '\\' && in && i+1 < len(b):
			i++
			if b[i] != 'u' {
				continue
			}
			r, ok := hex4(b, i+1)
			if !ok {
				continue
			}
			i += 4
			switch {
			case r >= 0xDC00 && r <= 0xDFFF:
				return BadRequest("The body has an unpaired surrogate escape; it is not valid Unicode.")
			case r >= 0xD800 && r <= 0xDBFF:
				lo, ok := -1, i+2 < len(b) && b[i+1] == '\\' && b[i+2] == 'u'
				if ok {
					var v rune
					v, ok = hex4(b, i+3)
					lo = int(v)
				}
				if !ok || lo < 0xDC00 || lo > 0xDFFF {
					return BadRequest("The body has an unpaired surrogate escape; it is not valid Unicode.")
				}
				i += 6
			}
		}
	}
	return nil
}

// strBefore is walker.str as it was written before it skipped with
// bytes.IndexByte: byte by byte.
func strBefore(b []byte, at int) (raw []byte, escaped bool, end int) {
	start := at + 1
	for i := start; i < len(b); i++ {
		switch b[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			return b[start:i], escaped, i + 1
		}
	}
	return b[start:], escaped, len(b)
}

var scanSeeds = []string{
	`"plain"`, `["a"b", "c\", {"d"": "\""}]`, `"a\"b"`, `"a\\"`, `"a\\\"b"`, `"\n\n\t"`, `"\u00e5\u00e4"`, `"\ud83d\ude37"`, `"\ud800"`, `"\udc00x"`,
	`"\ud800\u0041"`, `"\ud800\"`, `{"a":"\ud800"}`, `\ud800`, `"x"\ud800`, `"\u12"`, `"\`, `"`, `""`, `"å\\ä"`,
	`{"text":"Hej!\nJag har ont i halsen.\r\n\"citat\" \\ snedstreck","n":1}`,
}

// The quicker scans decide every input as the byte-by-byte ones did.
func TestScansAgree(t *testing.T) {
	for _, s := range scanSeeds {
		checkScansAgree(t, []byte(s))
	}
	checkScansAgree(t, realisticChainedPage(1))
}

func FuzzScansAgree(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkScansAgree(t, b) })
}

func checkScansAgree(t *testing.T, b []byte) {
	t.Helper()
	if got, want := errText(checkEncoding(b)), errText(checkEncodingBefore(b)); got != want {
		t.Fatalf("checkEncoding(%q) = %q, byte by byte %q", b, got, want)
	}
	if !json.Valid(b) {
		return // the walk runs only on valid JSON
	}
	for at := range b {
		if b[at] != '"' {
			continue
		}
		w := walker{b: b, i: at}
		raw, escaped := w.str()
		raw0, escaped0, end0 := strBefore(b, at)
		if string(raw) != string(raw0) || escaped != escaped0 || w.i != end0 {
			t.Fatalf("str(%q at %d) = %q %v %d, byte by byte %q %v %d", b, at, raw, escaped, w.i, raw0, escaped0, end0)
		}
	}
}
