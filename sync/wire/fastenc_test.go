package wire

import (
	"bytes"
	"testing"
)

// fastTakesOnlyEncoded fails if a fast decoder takes b although
// checkEncoding refuses it: DecodeChainedPageEvents and Unsealed run them
// without checkEncoding's pass over the body.
func fastTakesOnlyEncoded(t *testing.T, b []byte) {
	t.Helper()
	if checkEncoding(b) == nil {
		return
	}
	if _, _, ok := decodeChainedPageFast(b); ok {
		t.Fatalf("the fast page decoder takes %q, which checkEncoding refuses", b)
	}
	if _, ok := decodeSealedContentFast(b); ok {
		t.Fatalf("the fast sealed-content decoder takes %q, which checkEncoding refuses", b)
	}
}

// encodingFaults are the golden chained page and a sealed content with
// each fault checkEncoding refuses put in a text, a name, a member name
// and a timestamp: bytes that are not UTF-8 (a stray continuation byte, a
// cut-short character, an overlong form, a UTF-8 surrogate) and escapes of
// unpaired surrogates.
func encodingFaults(t testing.TB) [][]byte {
	var bodies [][]byte
	golden := goldenBody(t, "chained-page")
	content := []byte(`{"message":{"id":"m1","text":"Hej på er"}}`)
	for _, fault := range []string{"\x80", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xff", `\ud83d`, `\ude00`, `\ud83d\u0041`} {
		for _, b := range [][]byte{golden, content} {
			for _, at := range [][]byte{[]byte(`ont`), []byte(`på`), []byte(`"text"`), []byte(`T`), []byte(`Hej`)} {
				if i := bytes.Index(b, at); i >= 0 {
					var m []byte
					m = append(m, b[:i+1]...)
					m = append(m, fault...)
					bodies = append(bodies, append(m, b[i+1:]...))
				}
			}
		}
	}
	return bodies
}

func TestFastNeedsNoEncodingCheck(t *testing.T) {
	for _, b := range encodingFaults(t) {
		if checkEncoding(b) == nil {
			t.Fatalf("checkEncoding takes %q", b)
		}
		fastTakesOnlyEncoded(t, b)
	}
}

// FuzzFastNeedsNoEncodingCheck: on any body, neither fast decoder takes
// what checkEncoding refuses.
func FuzzFastNeedsNoEncodingCheck(f *testing.F) {
	for _, b := range encodingFaults(f) {
		f.Add(b)
	}
	f.Fuzz(fastTakesOnlyEncoded)
}

// goldenBody is the golden body of the given name.
func goldenBody(t testing.TB, name string) []byte {
	for _, b := range bodies {
		if b.name == name {
			return goldenBytes(b)
		}
	}
	t.Fatalf("no golden %s", name)
	return nil
}
