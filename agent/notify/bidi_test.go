package notify_test

import (
	"strings"
	"testing"

	"clinicgw/agent/notify"
)

// TestRenderNeutralisesBidi: the one free text a notice carries, the
// unit's name from the configuration, reaches the mail and the SMS with
// no bidi control in it.
func TestRenderNeutralisesBidi(t *testing.T) {
	for _, k := range []notify.Kind{notify.NewCases, notify.Assigned, notify.Overdue} {
		txt, err := notify.Render(notify.Notice{ID: "n1", Kind: k, Count: 2}, "Vårdcentralen \u202egpj.exe\u200f")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{txt.Subject, txt.Body} {
			if strings.ContainsAny(s, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c") {
				t.Errorf("%s: %+q keeps a bidi control", k, s)
			}
		}
		if !strings.Contains(txt.Subject, "Vårdcentralen \ufffdgpj.exe") {
			t.Errorf("%s: subject %+q", k, txt.Subject)
		}
	}
}
