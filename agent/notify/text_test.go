package notify_test

import (
	"strings"
	"testing"

	"clinicgw/agent/notify"
	"clinicgw/sync/wire/labels/labelstest"
)

// TestEveryKindHasItsTexts: every notice kind (found in the source, so a
// new one is covered the day it is added) has a subject and a body in the
// catalogue, rendered whole for one case and for several, in words that
// follow the count.
func TestEveryKindHasItsTexts(t *testing.T) {
	all, _, err := labelstest.Consts()
	if err != nil {
		t.Fatal(err)
	}
	kinds := labelstest.Of(all, "notify.Kind")
	if len(kinds) < 3 {
		t.Fatalf("only %d kinds found", len(kinds))
	}
	for _, k := range kinds {
		for _, n := range []int{1, 3} {
			txt, err := notify.Render(notify.Notice{ID: "n1", Kind: notify.Kind(k.Value), Count: n}, "VC")
			if err != nil {
				t.Errorf("%s: %v", k.Name, err)
				continue
			}
			for _, s := range []string{txt.Subject, txt.Body} {
				if !strings.Contains(s, "VC") || strings.Contains(s, "%") || strings.Contains(s, "${") || strings.Contains(s, "mail.") {
					t.Errorf("%s, %d: %q", k.Name, n, s)
				}
			}
			if n == 3 && notify.Kind(k.Value) != notify.Assigned && !strings.Contains(txt.Body, "3 ") {
				t.Errorf("%s for 3 cases does not say 3: %q", k.Name, txt.Body)
			}
		}
	}
}
