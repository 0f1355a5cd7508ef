package cases

import (
	"bytes"
	"encoding/json"
	"testing"
)

// stdJSONString is how encoding/json writes s without HTML escaping, as
// the wire's canonical encoding does.
func stdJSONString(t testing.TB, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

var jsonStringCases = []string{
	"", "Åsa Öberg", "Ont i halsen\nsedan i tisdags.\r\n\tFeber.", `citat "så" och \ snedstreck`,
	"<b> & </b>", "\x00\x01\x08\x0c\x1f\x7f", "\u2028\u2029", "trasig \xff\xfe utf-8 \xc3", "emoji 🙂 – ”citat”",
	"\xe2\x80", "\xed\xa0\x80", "a\u00e5\u0300",
}

// TestAppendJSONString: the slim journal's string encoding is the
// encoder's, byte for byte.
func TestAppendJSONString(t *testing.T) {
	for _, s := range jsonStringCases {
		if got, want := appendJSONString(nil, s), stdJSONString(t, s); !bytes.Equal(got, want) {
			t.Errorf("%q: %s, want %s", s, got, want)
		}
		if n := matchJSONString(append(stdJSONString(t, s), '}'), s); n != len(stdJSONString(t, s)) {
			t.Errorf("%q: matched %d bytes", s, n)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStringCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := stdJSONString(t, s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: %s, want %s", s, got, want)
		}
		if n := matchJSONString(append(want, `,"x"`...), s); n != len(want) {
			t.Fatalf("%q: matched %d bytes of its encoding %s", s, n, want)
		}
		// Any other bytes are not matched as s, unless they start with
		// its encoding.
		other := []byte(s)
		if n := matchJSONString(other, s); n >= 0 && !bytes.Equal(other[:n], want) {
			t.Fatalf("%q matched %q", s, other[:n])
		}
		if len(want) > 2 {
			cut := want[:len(want)-1]
			if n := matchJSONString(cut, s); n >= 0 {
				t.Fatalf("%q matched its encoding cut short", s)
			}
			for i := 1; i < len(want)-1; i++ {
				changed := bytes.Clone(want)
				changed[i] ^= 0x20
				if n := matchJSONString(changed, s); n >= 0 {
					t.Fatalf("%q matched %s", s, changed)
				}
			}
		}
	})
}
