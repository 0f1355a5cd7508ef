package cases_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
)

// followUpVerdict applies a patient's follow-up with text (TextChecked:
// checked) to a case waiting for the patient, and says what became of it.
func followUpVerdict(t *testing.T, text string, checked bool) string {
	ctx := context.Background()
	svc, clock := dueEnv(t)
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	id := dueWaiting(t, svc, clock, start)
	in := []cases.Inbound{{Kind: cases.InboundFollowUp, EventID: "ev-2", CaseID: id, At: start.Add(time.Hour),
		MessageID: "06fd000000000000000000000c", Text: text, TextChecked: checked}}
	rep, err := svc.ApplyInbound(ctx, in, 2)
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.Get(ctx, dueClin, id)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("applied %d, refused %d, relaxed %q, messages %d", rep.Applied, rep.Refused, c.Relaxed, len(c.Messages))
}

// The text rule is checked once on the sync path for a follow-up too: one
// the protocol's decoder took (TextChecked) gets the verdict it got when
// the case service checked its text again (the version's limit, then the
// workflow's UTF-8 and length), for texts at the rule's edges; and the
// second check is really gone: a text that never passed the decoder (not
// UTF-8) is not looked at again.
func TestFollowUpTextCheckedOnce(t *testing.T) {
	for _, s := range []string{"Ja, 38,5.", "rad ett\nrad två\r\n\tindrag", " ", "a\x00b", "a\u2028b", "😷 ont",
		strings.Repeat("ö", wire.MaxTextLen), strings.Repeat("x", wire.MaxTextLen+1), "a\xffb"} {
		took := wire.PatientMessage{ID: "06fd000000000000000000000c", Text: s}.Validate() == nil
		unchecked := followUpVerdict(t, s, false)
		if took {
			if checked := followUpVerdict(t, s, true); checked != unchecked {
				t.Errorf("%.20q: checked once: %s; checked again: %s", s, checked, unchecked)
			}
		}
	}
	if got := followUpVerdict(t, "a\xffb", true); !strings.HasPrefix(got, "applied 1,") {
		t.Errorf("a text vouched for as checked was checked again: %s", got)
	}
}
