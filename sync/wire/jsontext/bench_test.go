package jsontext

import (
	"strings"
	"testing"
	"unicode/utf8"

	"clinicgw/sync/wire/patienttext"
)

// swedish is about 2 KiB of what patients write: the realistic cases'
// sentences, with å, ä, ö and line breaks.
func swedish() string {
	var sb strings.Builder
	for i := 0; sb.Len() < 2048; i++ {
		sb.WriteString(patienttext.Sentences[i%len(patienttext.Sentences)])
		if i%4 == 3 {
			sb.WriteString("\n\n")
		} else {
			sb.WriteByte(' ')
		}
	}
	return sb.String()
}

// The loops of this package beside the ones they replaced (before), on
// the same text in the same run; ns/byte is ns/op over the text's bytes.
func BenchmarkAppendQuoted(b *testing.B) {
	s := swedish()
	buf := make([]byte, 0, 2*len(s))
	for _, v := range []struct {
		name string
		f    func([]byte, string) []byte
	}{
		{"now", func(d []byte, s string) []byte { return AppendQuoted(d, s, true) }},
		{"before", appendJSONStringStore},
	} {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				buf = v.f(buf[:0], s)
			}
		})
	}
}

func BenchmarkUnquote(b *testing.B) {
	q := jsonMarshal(b, swedish(), false)
	for _, v := range []struct {
		name string
		f    func([]byte, int) (string, int, bool)
	}{{"now", Unquote}, {"before", func(b []byte, i int) (string, int, bool) {
		// The fast page decoder's string loop, and the share of
		// checkEncoding's utf8.Valid over the body it relied on.
		if !utf8.Valid(b) {
			return "", 0, false
		}
		return unquoteBefore(b, i)
	}}} {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(int64(len(q)))
			for b.Loop() {
				if _, _, ok := v.f(q, 0); !ok {
					b.Fatal("refused")
				}
			}
		})
	}
}
