package localui_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire/casetype"
)

// TestAuditPageShowsTheWholeCheck (issue 18, item 2): the auditor's page
// checks the log from the last checkpoint (the first view, with none yet,
// checks the whole log) and tells when the whole log was last checked; a
// later view does not move that time, a whole check (the nightly job's or
// `clinicgw audit verify`'s) does.
func TestAuditPageShowsTheWholeCheck(t *testing.T) {
	c := startClinic(t)
	c.receive(casetype.AdviceNurse, "Hej")
	aud := c.login(hsaAudit)
	full := regexp.MustCompile(`<p class="note" id="chain-full">([^<]*)</p>`)
	view := func() string {
		t.Helper()
		_, body := aud.getBody("/audit")
		if !strings.Contains(body, "Loggkedjan är hel:") || !strings.Contains(body, "det som loggats sedan förra kontrollen är kontrollerat nu") {
			t.Fatalf("the auditor's page lacks the chain's state: %.300q", body)
		}
		m := full.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("the auditor's page does not tell the last whole check")
		}
		return m[1]
	}
	first := view()
	if !strings.HasPrefix(first, "Hela loggen kontrollerades senast") {
		t.Fatalf("after the first view: %q", first)
	}
	c.clock.Advance(25 * time.Hour)
	c.receive(casetype.AdviceNurse, "Hej igen")
	aud = c.login(hsaAudit) // the session ended after 12 h
	if again := view(); again != first {
		t.Errorf("a view moved the whole check: %q, then %q", first, again)
	}
	if _, err := c.gw.Store().VerifyAudit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if after := view(); after == first || !strings.HasPrefix(after, "Hela loggen kontrollerades senast") {
		t.Errorf("after a whole check the page says %q (before it %q)", after, first)
	}
}
