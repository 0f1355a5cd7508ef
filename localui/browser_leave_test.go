package localui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"clinicgw/agent/cases"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/casetype"
)

// TestBrowserAssignToSomeoneOnLeave, in Chromium: the message
// administrator picks a clinician on leave; the warning appears in place
// before anything is assigned; one click gives the case to another
// clinician. "Assign anyway" gives a second case to the one on leave, and
// the inbox row says, in words, that its holder is on leave; the case
// page moves it to someone available in one click.
func TestBrowserAssignToSomeoneOnLeave(t *testing.T) {
	c := startClinic(t)
	b := uitest.NewBrowser(t)
	first := c.receive(casetype.AdviceNurse, "Fråga ett.")
	second := c.receive(casetype.AdviceNurse, "Fråga två.")
	row1, row2 := `#case-`+string(first.ID), `#case-`+string(second.ID)
	assignee := func(id cases.ID) string {
		got, err := c.gw.Cases().Get(t.Context(), cases.Actor{Kind: cases.System}, id)
		if err != nil {
			t.Fatal(err)
		}
		return got.Assignee
	}

	tab := b.NewTab(t)
	useSession(t, tab, c.login(hsaDist))
	run(t, tab, "inbox", chromedp.Navigate(c.origin+"/inbox"), chromedp.WaitVisible(row1), waitAttr(`body`, "data-ws", "open"))
	var opt string
	tab.Eval(`document.querySelector('#distribute-to option[value="`+hsaOnLeave+`"]').textContent`, &opt)
	if opt != "Per Psykologsson (frånvarande)" {
		t.Errorf("the choice of the clinician on leave reads %q", opt)
	}

	run(t, tab, "pick the one on leave", chromedp.SetValue(`#distribute-to`, hsaOnLeave),
		chromedp.Click(row1+` button[formaction$="/assign"]`), chromedp.WaitVisible(row1+` .leave-inplace [role="alert"]`))
	warning := tab.Text(row1 + ` .leave-inplace`)
	for _, s := range []string{"Per Psykologsson är frånvarande till och med 2026-11-29", "Ärendet är inte tilldelat", "Tilldela Sara Sjöberg", "Tilldela Lars Läkarsson", "Tilldela ändå"} {
		if !strings.Contains(warning, s) {
			t.Errorf("the warning lacks %q: %q", s, warning)
		}
	}
	if a := assignee(first.ID); a != "" {
		t.Fatalf("assigned to %s before the warning was answered", a)
	}
	axe := func(what string) {
		t.Helper()
		for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
			t.Errorf("%s: %s (%s): %s %v", what, v.ID, v.Impact, v.Help, v.Nodes)
		}
	}
	axe("inbox with the warning")
	shot(tab, "inbox-leave-warning")
	run(t, tab, "one click to Sara", chromedp.Click(row1+` .leave-inplace button[value="`+hsaClinB+`"]`), chromedp.WaitVisible(`.flash`))
	if a := assignee(first.ID); a != hsaClinB {
		t.Fatalf("after one click: assigned to %q, want Sara (%s)", a, hsaClinB)
	}

	tab.Eval(`document.querySelector('.flash').remove()`, nil) // the next answer brings its own
	run(t, tab, "assign the second anyway", chromedp.WaitVisible(row2+` button[formaction$="/assign"]`),
		chromedp.SetValue(`#distribute-to`, hsaOnLeave),
		chromedp.Click(row2+` button[formaction$="/assign"]`), chromedp.WaitVisible(row2+` .leave-inplace button.secondary`),
		chromedp.Click(row2+` .leave-inplace button.secondary`), chromedp.WaitVisible(`.flash`))
	if a := assignee(second.ID); a != hsaOnLeave {
		t.Fatalf("assign anyway: assigned to %q", a)
	}
	if txt := tab.Text(row2); !strings.Contains(txt, "Per Psykologsson frånvarande t.o.m. 2026-11-29") {
		t.Errorf("the inbox row does not say its holder is on leave: %q", txt)
	}
	// The 7th cell: the first is the row's box for the bulk assignment.
	if txt := tab.Text(row1 + ` td:nth-child(7)`); txt != "Sara Sjöberg" {
		t.Errorf("a row held by someone at work is marked: %q", txt)
	}
	shot(tab, "inbox-leave")

	run(t, tab, "case page", chromedp.Navigate(c.origin+"/cases/"+string(second.ID)), chromedp.WaitVisible(`.leave-warning`))
	if txt := tab.Text(`.case-head`); !strings.Contains(txt, "frånvarande t.o.m. 2026-11-29") {
		t.Errorf("the case page's holder is not marked: %q", txt)
	}
	axe("case page of a holder on leave")
	run(t, tab, "one click to Lars", chromedp.Click(`.leave-warning button[value="`+hsaClinA+`"]`), chromedp.WaitVisible(`.flash`))
	if a := assignee(second.ID); a != hsaClinA {
		t.Fatalf("after one click on the case page: assigned to %q, want Lars (%s)", a, hsaClinA)
	}
}
