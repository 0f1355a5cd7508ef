package localui_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"clinicgw/agent/cases"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/casetype"
)

// TestBrowserMoveAllCountsInWords, in Chromium: "move all" says how many
// cases it moved, in words that follow the number — "1 ärende
// flyttades." and "3 ärenden flyttades.", "1 case moved." and "3 cases
// moved." — as an accessible status message.
func TestBrowserMoveAllCountsInWords(t *testing.T) {
	c := startClinic(t)
	ctx := t.Context()
	dist := staffActor(hsaDist)
	give := func(to string, n int) {
		t.Helper()
		for range n {
			got := c.receive(casetype.AdviceNurse, "Fråga.")
			if _, err := c.gw.Cases().Do(ctx, dist, got.ID, cases.Command{Action: cases.Assign, Assignee: to, Version: got.Version}); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := uitest.NewBrowser(t)
	tab := b.NewTab(t)
	useSession(t, tab, c.login(hsaDist))
	moveAll := func(from, to, want string) {
		t.Helper()
		run(t, tab, "move all "+want, chromedp.Navigate(c.origin+"/inbox"), chromedp.WaitVisible(`#move-from`),
			chromedp.SetValue(`#move-from`, from), chromedp.SetValue(`#move-to`, to),
			chromedp.Click(`form[action="/inbox/move-all"] button`), chromedp.WaitVisible(`.flash[role="status"]`))
		if got := tab.Text(`.flash`); got != want {
			t.Errorf("after moving: %q, want %q", got, want)
		}
	}

	give(hsaClinA, 1)
	moveAll(hsaClinA, hsaClinB, "1 ärende flyttades.")
	for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
		t.Errorf("inbox after move all: %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
	}
	give(hsaClinB, 2)
	moveAll(hsaClinB, hsaClinA, "3 ärenden flyttades.")

	run(t, tab, "in English", chromedp.Click(`form[action="/lang"] button`), chromedp.WaitReady(`html[lang="en"]`))
	moveAll(hsaClinA, hsaClinB, "3 cases moved.")
	give(hsaClinA, 1)
	moveAll(hsaClinA, hsaClinB, "1 case moved.")
}
