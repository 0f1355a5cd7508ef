package localui_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"clinicgw/agent/cases"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/casetype"
)

// TestBrowserRowsPlacedInPlace (issue 18 item 7), in Chromium: a new case
// and an assignment made elsewhere reach the open inbox as their rows
// only: the other rows are the same elements as before (not a list
// rebuilt), the new row is in the list's order, the changed row shows
// its clinician. The shared control (one menu of clinicians, a button
// per row) passes axe with no serious or critical violation.
func TestBrowserRowsPlacedInPlace(t *testing.T) {
	c := startClinic(t)
	b := uitest.NewBrowser(t)
	first := c.receive(casetype.AdviceNurse, "Fråga ett.")
	second := c.receive(casetype.ContactMe, "Fråga två.")
	dist := c.login(hsaDist)
	tab := b.NewTab(t)
	useSession(t, tab, dist)
	run(t, tab, "inbox", chromedp.Navigate(c.origin+"/inbox"), chromedp.WaitVisible(`#case-`+string(second.ID)),
		waitAttr(`body`, "data-ws", "open"))
	for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
		t.Errorf("inbox: %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
	}
	var n int
	tab.Eval(`document.querySelectorAll('#rows select, #rows option').length`, &n)
	if n != 0 {
		t.Errorf("the rows hold %d menus and choices: a menu per row", n)
	}
	// Mark the rows' elements: a rebuilt list loses the marks.
	tab.Eval(`document.querySelectorAll('#rows tbody tr').forEach(function (tr) { tr.dataset.kept = "1"; }); 0`, &n)

	third := c.receive(casetype.RenewPrescription, "Fråga tre.")
	run(t, tab, "new case placed", chromedp.WaitVisible(`#case-`+string(third.ID)))
	if r, body := dist.form("/cases/"+string(first.ID)+"/assign", url.Values{"assignee": {hsaClinA}, "version": {"1"}}); r.StatusCode != 303 {
		t.Fatalf("assign elsewhere: %d %s", r.StatusCode, body)
	}
	run(t, tab, "assigned case changed in place", waitText(`#case-`+string(first.ID), "Lars Läkarsson"))
	var got struct {
		Order  []string
		Kept   []string
		Placed string
	}
	tab.Eval(`({order: Array.from(document.querySelectorAll('#rows tbody tr')).map(function (tr) { return tr.id; }),
		kept: Array.from(document.querySelectorAll('#rows tbody tr[data-kept]')).map(function (tr) { return tr.id; }),
		placed: document.body.dataset.rowsPlaced || ""})`, &got)
	if got.Placed == "" || got.Placed == "0" {
		t.Errorf("no refresh placed rows (data-rows-placed %q): the whole list was fetched", got.Placed)
	}
	if strings.Join(got.Kept, " ") != "case-"+string(second.ID) {
		t.Errorf("rows kept as they were: %v, want only the untouched one (case-%s)", got.Kept, second.ID)
	}
	_, rows := dist.getBody("/inbox?part=rows")
	want := strings.Join(strings.Fields(strings.Join(orderIn(rows), " ")), " ")
	if strings.Join(got.Order, " ") != want {
		t.Errorf("rows in the page: %v\nin the list: %v", got.Order, want)
	}
}

// orderIn are the row ids of a list fragment, in order.
func orderIn(rows string) []string {
	var out []string
	for _, part := range strings.Split(rows, `<tr id="`)[1:] {
		id, _, _ := strings.Cut(part, `"`)
		out = append(out, id)
	}
	return out
}

// TestBrowserAssignWithoutScript, in Chromium with JavaScript off: the
// shared menu and a row's button assign the case, as the form is sent by
// the browser itself (form= and formaction=), and a case of someone else
// is moved the same way.
func TestBrowserAssignWithoutScript(t *testing.T) {
	c := startClinic(t)
	b := uitest.NewBrowser(t)
	first := c.receive(casetype.AdviceNurse, "Fråga ett.")
	second := c.receive(casetype.ContactMe, "Fråga två.")
	tab := b.NewTab(t)
	useSession(t, tab, c.login(hsaDist))
	run(t, tab, "script off", emulation.SetScriptExecutionDisabled(true))
	row1, row2 := `#case-`+string(first.ID), `#case-`+string(second.ID)
	run(t, tab, "inbox", chromedp.Navigate(c.origin+"/inbox"), chromedp.WaitVisible(row2))
	// Each answer is a new page with its flash: the flash of the page
	// before is removed first, so that the wait is for the new one.
	step := func(what, who, button, flash string) {
		t.Helper()
		var n int
		tab.Eval(`document.querySelectorAll('.flash').forEach(function (e) { e.remove(); }); 0`, &n)
		run(t, tab, what, chromedp.SetValue(`#distribute-to`, who), chromedp.Click(button),
			chromedp.WaitVisible(`.flash`), waitText(`.flash`, flash))
	}
	step("assign the first to Lars", hsaClinA, row1+` button[formaction$="/assign"]`, "Ärendet är tilldelat")
	step("assign the second to Sara", hsaClinB, row2+` button[formaction$="/assign"]`, "Ärendet är tilldelat")
	step("move the first to Sara", hsaClinB, row1+` button[formaction*="/reassign?"]`, "Ärendet är flyttat")
	for id, want := range map[cases.ID]string{first.ID: hsaClinB, second.ID: hsaClinB} {
		got, err := c.gw.Cases().Get(t.Context(), cases.Actor{Kind: cases.System}, id)
		if err != nil || got.Assignee != want {
			t.Errorf("case %s: assignee %q, want %q (%v)", id, got.Assignee, want, err)
		}
	}
	var ran string
	tab.Eval(`document.body.dataset.ws || "no script"`, &ran)
	if ran != "no script" {
		t.Errorf("the page's script ran (data-ws %q): the test is not without JavaScript", ran)
	}
}
