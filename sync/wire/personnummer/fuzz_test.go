package personnummer

import (
	"strings"
	"testing"
	"time"
)

// FuzzParsePersonnummer: any input either fails with a *Error
// that does not repeat it, or gives a 12-digit number that parses again,
// in its printed form, to itself.
func FuzzParsePersonnummer(f *testing.F) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"19800517-9800", "800517-9800", "191212121212", "121212+1212", "19800577-9800", "", "x", "20261122-0000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s, now)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if len(p) != 12 {
			t.Fatalf("parsed to %d characters", len(p))
		}
		// Its digits are the input's, the century added to a 10-digit one.
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
		if !strings.HasSuffix(string(p), digits) {
			t.Fatalf("%q parsed to %s", s, p)
		}
		q, err := Parse(p.String(), now)
		if err != nil || q != p {
			t.Fatalf("printed form does not parse back: %v", err)
		}
	})
}
