package wire

import (
	"encoding/base64"
	"testing"
)

// isSealedB64Agrees holds isSealedB64 to the decoder it stands in for.
func isSealedB64Agrees(t *testing.T, s string) {
	t.Helper()
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	want := err == nil && len(b) > 0
	if got := isSealedB64(s); got != want {
		t.Fatalf("isSealedB64(%q) = %v, the strict decoder says %v (err %v)", s, got, want, err)
	}
	if got, ok := sealedB64(s); ok != want || ok && string(got) != string(b) {
		t.Fatalf("sealedB64(%q) = %q, %v; want %q, %v", s, got, ok, b, want)
	}
}

var b64Cases = []string{
	"", "=", "==", "====", "A", "AA", "AAA", "AAAA", "AAAAA",
	"A===", "AA==", "AB==", "AQ==", "AAA=", "AAB=", "AAE=", "AAE", "AA=A", "A=AA", "=AAA",
	"AAAA====", "AA==AAAA", "AAAA\n", "\nAAAA", "AA\r\nAA", "AA=\n=", "AA=\r\n=", "AA==\n", "AA==\nA",
	"\n", "\r\n", "AAA=\n\n", "AA\n==", "AA-_", "AA.A", "AA A", "AAA\x00", "AAA\xff", "ä\x80AA",
	"SGVsbG8=", "SGVsbG8h", "SGVsbA==", "SGVsbB==", "SGVsbG9=",
}

// TestIsSealedB64AgreesWithDecoder: the validators' base64 check accepts
// exactly what decoding accepts, on edges of padding, strictness, line
// breaks and alphabet, and on every short string over a small alphabet.
func TestIsSealedB64AgreesWithDecoder(t *testing.T) {
	for _, s := range b64Cases {
		isSealedB64Agrees(t, s)
	}
	const chars = "AQB=\n+/-"
	var walk func(prefix string, n int)
	walk = func(prefix string, n int) {
		isSealedB64Agrees(t, prefix)
		if n == 0 {
			return
		}
		for i := 0; i < len(chars); i++ {
			walk(prefix+chars[i:i+1], n-1)
		}
	}
	walk("", 6)
	for n := 1; n < 40; n++ { // real encodings of every length
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*37 + n)
		}
		isSealedB64Agrees(t, base64.StdEncoding.EncodeToString(b))
	}
}

// FuzzIsSealedB64 compares isSealedB64 with the strict decoder on any
// string.
func FuzzIsSealedB64(f *testing.F) {
	for _, s := range b64Cases {
		f.Add(s)
	}
	f.Fuzz(isSealedB64Agrees)
}

// BenchmarkSealedB64: the validators' check (isSealedB64) against
// decoding (sealedB64, what they did before), on an envelope of a
// realistic case's size.
func BenchmarkSealedB64(b *testing.B) {
	env := make([]byte, 2600)
	for i := range env {
		env[i] = byte(i * 31)
	}
	s := base64.StdEncoding.EncodeToString(env)
	b.Run("check", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !isSealedB64(s) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := sealedB64(s); !ok {
				b.Fatal("refused")
			}
		}
	})
}
