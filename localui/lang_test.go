package localui

import (
	"testing"

	"clinicgw/sync/wire/labels/labelstest"
)

// TestNoticeCodesHaveLabels (issue 15, item 6): every notice kind and
// channel (agent/notify's constants, found in its source) has a Swedish
// and an English name on the unit page.
func TestNoticeCodesHaveLabels(t *testing.T) {
	all, _, err := labelstest.Consts()
	if err != nil {
		t.Fatal(err)
	}
	cs := labelstest.Of(all, "notify.Kind", "notify.Channel")
	if len(cs) < 4 {
		t.Fatalf("only %d notice codes found", len(cs))
	}
	for _, c := range cs {
		m := catalog["notice."+c.Value]
		if m[0] == "" || m[1] == "" {
			t.Errorf("%s.%s (%q) lacks a Swedish or an English name: %q", c.Type, c.Name, c.Value, m)
		}
	}
}
