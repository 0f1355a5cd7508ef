package localui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"clinicgw/agent/cases"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/casetype"
)

// TestBrowserTakeBackReassignOverdue, in Chromium with three browsers: the
// message administrator assigns a case to clinician A, whose list shows
// it without reload; takes it back (it leaves A's list without reload)
// and gives it to clinician B, whose list shows it; when the fake clock
// has passed two working days the case is in the overdue view, marked.
func TestBrowserTakeBackReassignOverdue(t *testing.T) {
	c := startClinic(t)
	b := uitest.NewBrowser(t)
	cs := c.receive(casetype.RenewSickLeave, "Jag behöver förlänga intyget.")
	row := `#case-` + string(cs.ID)

	dist := b.NewTab(t)
	useSession(t, dist, c.login(hsaDist))
	clinA := b.NewTab(t)
	useSession(t, clinA, c.login(hsaClinA))
	clinB := b.NewTab(t)
	useSession(t, clinB, c.login(hsaClinB))
	run(t, dist, "inbox", chromedp.Navigate(c.origin+"/inbox"), chromedp.WaitVisible(row), waitAttr(`body`, "data-ws", "open"))
	for _, tab := range []*uitest.Tab{clinA, clinB} {
		run(t, tab, "my cases", chromedp.Navigate(c.origin+"/mine"), chromedp.WaitVisible(`main`), waitAttr(`body`, "data-ws", "open"))
	}

	run(t, dist, "assign to A", chromedp.SetValue(`#distribute-to`, hsaClinA),
		chromedp.Click(row+` button[formaction$="/assign"]`), chromedp.WaitVisible(`.flash`))
	run(t, clinA, "A sees it", chromedp.WaitVisible(row))
	run(t, dist, "take back", chromedp.WaitVisible(row+` form[action$="/take-back"] button`),
		chromedp.Click(row+` form[action$="/take-back"] button`), chromedp.WaitVisible(`.flash`))
	at := time.Now()
	clinA.WaitGone(row)
	t.Logf("taken-back case gone from A's list %v after the click's answer", time.Since(at))
	run(t, dist, "assign to B", chromedp.WaitVisible(row+` button[formaction$="/assign"]`), chromedp.SetValue(`#distribute-to`, hsaClinB),
		chromedp.Click(row+` button[formaction$="/assign"]`), chromedp.WaitVisible(`.flash`))
	run(t, clinB, "B sees it", chromedp.WaitVisible(row))
	got, err := c.gw.Cases().Get(t.Context(), cases.Actor{Kind: cases.System}, cs.ID)
	if err != nil || got.Assignee != hsaClinB || got.Status != cases.Assigned {
		t.Fatalf("after take back and reassign: assignee %q status %q (%v)", got.Assignee, got.Status, err)
	}

	// Monday 09:00 → Thursday 09:00: past the second working day.
	c.clock.Advance(3 * 24 * time.Hour)
	late := b.NewTab(t)
	useSession(t, late, c.login(hsaDist))
	run(t, late, "overdue view", chromedp.Navigate(c.origin+"/inbox?view=overdue"), chromedp.WaitVisible(row+`.overdue`))
	if txt := late.Text(row); !strings.Contains(txt, "Försenat") {
		t.Errorf("overdue row without its mark: %q", txt)
	}
}
