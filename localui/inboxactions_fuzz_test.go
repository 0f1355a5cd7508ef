package localui

import (
	"strconv"
	"strings"
	"testing"

	"clinicgw/agent/cases"
)

// FuzzParseSel: a bulk assignment's row values, as anyone may post them,
// are refused or read whole: a case id as the store writes them, a
// version above 0, and assign only for a received case.
func FuzzParseSel(f *testing.F) {
	for _, s := range []string{"01m83ppjygtxnqpc1r13hbe6e8 1 received", "01m83ppjygtxnqpc1r13hbe6e8 7 assigned",
		"01m83ppjygtxnqpc1r13hbe6e8 0 received", "x 1 received", "", "01m83ppjygtxnqpc1r13hbe6e8 1", " 01m83ppjygtxnqpc1r13hbe6e8\t2 closed "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		p, ok := parseSel(v)
		if !ok {
			return
		}
		fs := strings.Fields(v)
		if n, err := strconv.ParseUint(fs[1], 10, 64); len(fs) != 3 || string(p.id) != fs[0] || err != nil || p.version != n || n == 0 {
			t.Fatalf("%q read as %+v", v, p)
		}
		if (p.action == cases.Assign) != (fs[2] == string(cases.Received)) || p.action != cases.Assign && p.action != cases.Reassign {
			t.Fatalf("%q: action %s", v, p.action)
		}
	})
}
