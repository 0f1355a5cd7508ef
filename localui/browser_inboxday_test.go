package localui_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"clinicgw/agent/cases"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/casetype"
)

// TestBrowserInboxBulkByKeyboard: in Chromium, the distributor ticks three
// rows with the keyboard alone (Tab to a row's box, Space), chooses a
// clinician and presses the bulk button with Enter: the three are
// assigned, the note says so in words that follow the number, and the
// counts beside the views follow. A case that arrives afterwards changes
// the counts live, without a reload.
func TestBrowserInboxBulkByKeyboard(t *testing.T) {
	c := startClinic(t)
	var cs []*cases.Case
	for range 5 {
		c.clock.Advance(time.Second)
		cs = append(cs, c.receive(casetype.AdviceNurse, "Ont i halsen."))
	}
	b := uitest.NewBrowser(t)
	tab := b.NewTab(t)
	useSession(t, tab, c.login(hsaDist))
	run(t, tab, "inbox", chromedp.Navigate(c.origin+"/inbox"), chromedp.WaitVisible(`#rows`), waitAttr(`body`, "data-ws", "open"),
		waitText(`#count-new .n`, "5"), waitText(`#count-unassigned .n`, "5"))

	// The first box by focus, then Tab from box to box: each row's box,
	// link and buttons are in the tab order, in reading order.
	first := "sel-" + string(cs[0].ID)
	run(t, tab, "focus the first row's box", chromedp.Focus(`#`+first, chromedp.ByQuery), chromedp.KeyEvent(" "))
	ticked := 1
	for presses := 0; ticked < 3 && presses < 20; presses++ {
		var active string
		run(t, tab, "tab", chromedp.KeyEvent(kb.Tab), chromedp.Evaluate(`document.activeElement.id`, &active))
		if len(active) > 4 && active[:4] == "sel-" {
			run(t, tab, "tick "+active, chromedp.KeyEvent(" "))
			ticked++
		}
	}
	var checked int
	run(t, tab, "count ticked", chromedp.Evaluate(`document.querySelectorAll('input[name=sel]:checked').length`, &checked))
	if ticked != 3 || checked != 3 {
		t.Fatalf("ticked %d boxes by keyboard, %d checked; want 3", ticked, checked)
	}
	// The clinician in the shared select (set directly), then the bulk
	// button with Enter.
	run(t, tab, "choose the clinician", chromedp.SetValue(`#distribute-to`, hsaClinA, chromedp.ByQuery),
		chromedp.Focus(`#bulk-assign`, chromedp.ByQuery), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`.flash[role="status"]`))
	if got := tab.Text(`.flash`); got != "3 ärenden tilldelades." {
		t.Errorf("after the bulk assignment: %q, want %q", got, "3 ärenden tilldelades.")
	}
	run(t, tab, "counts after", waitText(`#count-new .n`, "2"), waitText(`#count-unassigned .n`, "2"), waitText(`#count-open .n`, "5"),
		waitAttr(`body`, "data-ws", "open"))
	for i, want := range []string{hsaClinA, hsaClinA, hsaClinA, "", ""} {
		got, err := c.gw.Cases().Get(t.Context(), distActor, cs[i].ID)
		if err != nil || got.Assignee != want {
			t.Errorf("case %d: assignee %q (%v), want %q", i, got.Assignee, err, want)
		}
	}

	// Live: a new case and the counts follow without a reload.
	run(t, tab, "mark the page", chromedp.Evaluate(`window.notReloaded = true`, nil))
	c.receive(casetype.RenewPrescription, "Recept.")
	run(t, tab, "live counts", waitText(`#count-new .n`, "3"), waitText(`#count-unassigned .n`, "3"), waitText(`#count-open .n`, "6"),
		waitText(`#count-type-renew-prescription .n`, "1"))
	var same bool
	run(t, tab, "not reloaded", chromedp.Evaluate(`window.notReloaded === true`, &same))
	if !same {
		t.Error("the page reloaded: the counts did not change live")
	}
	for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
		t.Errorf("inbox after the bulk assignment: %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
	}
}
