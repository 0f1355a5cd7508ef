package localui

import (
	"strconv"
	"testing"
)

// FuzzParseAuditCursors: the paging form's cursors, as anyone may post
// them, are refused or read whole: a page's own controls, built from what
// was read, post back what they were built from, and no more than
// maxAuditBack pages back are accepted.
func FuzzParseAuditCursors(f *testing.F) {
	for _, s := range [][2]string{{"", ""}, {"0", ""}, {"401", "0"}, {"201", "0,401"}, {"x", ""}, {"1", ""}, {"", "0"},
		{"18446744073709551615", "0"}, {"-1", "0"}, {"5", "0,,3"}, {"5", " 0"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, before, back string) {
		b, cs, err := parseAuditCursors(before, back)
		if err != nil {
			return
		}
		if len(cs) > maxAuditBack || (b == 0) != (len(cs) == 0) {
			t.Fatalf("accepted %q %q: %d, %d cursors back", before, back, b, len(cs))
		}
		// The older page's controls post this page's "back" with its cursor.
		// (Older records have smaller sequence numbers.)
		next := b - 1
		if b == 0 {
			next = 7
		}
		p := newAuditPages(b, cs, next, 200)
		b2, cs2, err := parseAuditCursors(strconv.FormatUint(p.Older, 10), p.OlderBack)
		if next != 0 && len(cs) < maxAuditBack && (err != nil || b2 != next || len(cs2) != len(cs)+1 || cs2[len(cs)] != b) {
			t.Fatalf("the older page's controls of %q %q read back as %d %v (%v)", before, back, b2, cs2, err)
		}
		// The newer page's controls post the last cursor back.
		if p.Newer {
			b3, cs3, err := parseAuditCursors(strconv.FormatUint(p.NewerAt, 10), p.NewerBack)
			if err != nil || b3 != cs[len(cs)-1] || len(cs3) != len(cs)-1 {
				t.Fatalf("the newer page's controls of %q %q read back as %d %v (%v)", before, back, b3, cs3, err)
			}
		}
	})
}
