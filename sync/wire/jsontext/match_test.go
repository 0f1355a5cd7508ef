package jsontext

import (
	"bytes"
	"testing"
)

// checkMatchQuoted holds MatchQuoted to AppendQuoted: b matches s exactly
// when it starts with s's encoding.
func checkMatchQuoted(t *testing.T, b []byte, s string) {
	t.Helper()
	for _, html := range []bool{false, true} {
		want := -1
		if q := AppendQuoted(nil, s, html); bytes.HasPrefix(b, q) {
			want = len(q)
		}
		if got := MatchQuoted(b, s, html); got != want {
			t.Fatalf("MatchQuoted(%q, %q, html %v) = %d, want %d", b, s, html, got, want)
		}
	}
	if got, want := MatchQuoted(b, s, false), matchJSONStringCases(b, s); got != want {
		t.Fatalf("MatchQuoted(%q, %q) = %d, agent/cases's matchJSONString %d", b, s, got, want)
	}
	if got, want := AppendQuoted(nil, s, false), appendJSONStringCases(nil, s); !bytes.Equal(got, want) {
		t.Fatalf("AppendQuoted(%q) = %s, agent/cases's appendJSONString %s", s, got, want)
	}
}

func BenchmarkMatchQuoted(b *testing.B) {
	s := swedish()
	q := AppendQuoted(nil, s, false)
	for _, v := range []struct {
		name string
		f    func([]byte, string) int
	}{
		{"now", func(b []byte, s string) int { return MatchQuoted(b, s, false) }},
		{"before", matchJSONStringCases},
	} {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(int64(len(q)))
			for b.Loop() {
				if v.f(q, s) != len(q) {
					b.Fatal("no match")
				}
			}
		})
	}
}

func TestMatchQuoted(t *testing.T) {
	for _, s := range samples() {
		for _, html := range []bool{false, true} {
			q := AppendQuoted(nil, s, html)
			checkMatchQuoted(t, q, s)
			checkMatchQuoted(t, append(q, `,"x":1`...), s)
			for cut := range len(q) {
				checkMatchQuoted(t, q[:cut], s)
				flip := bytes.Clone(q)
				flip[cut] ^= 0x20
				checkMatchQuoted(t, flip, s)
			}
		}
		checkMatchQuoted(t, []byte(`"`+s+`"`), s)
	}
}

func FuzzMatchQuoted(f *testing.F) {
	for _, s := range samples() {
		f.Add(AppendQuoted(nil, s, false), s)
		f.Add(AppendQuoted(nil, s, true), s)
	}
	f.Fuzz(checkMatchQuoted)
}
