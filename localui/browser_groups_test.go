package localui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"clinicgw/agent/cases"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/casetype"
)

// TestBrowserGroupQueue: in Chromium, a member of the therapists' group
// has the group's queue open when a case arrives in it: the case appears
// without a reload, the member takes it ("Ta ärendet") and it is theirs. A
// doctor with the doctors' queue open sees their own group's case arrive
// and never the therapists', and is refused the therapists' case by its
// address.
func TestBrowserGroupQueue(t *testing.T) {
	c := startClinic(t)
	c.setGroups()
	b := uitest.NewBrowser(t)
	ot, doc := b.NewTab(t), b.NewTab(t)
	useSession(t, ot, c.login(hsaClinA))
	useSession(t, doc, c.login(hsaClinB))
	run(t, ot, "the therapists' queue", chromedp.Navigate(c.origin+"/queue/"+groupOT),
		chromedp.WaitVisible(`#queue-empty`), chromedp.WaitReady(`body[data-watching="1"]`))
	run(t, doc, "the doctors' queue", chromedp.Navigate(c.origin+"/queue/"+groupDocs),
		chromedp.WaitVisible(`#queue-empty`), chromedp.WaitReady(`body[data-watching="1"]`))

	mine := c.receiveInto(groupOT, casetype.RenewPrescription, "Förnya hjälpmedlet, tack.")
	run(t, ot, "the case arrives live", chromedp.WaitVisible(`#case-`+string(mine.ID)))
	if got := ot.Text(`#case-` + string(mine.ID)); !strings.Contains(got, canaryName) {
		t.Errorf("the queue's row shows %q", got)
	}
	theirs := c.receiveInto(groupDocs, casetype.ContactMe, "Ring mig.")
	run(t, doc, "the doctors' case arrives live", chromedp.WaitVisible(`#case-`+string(theirs.ID)))
	var shown bool
	doc.Eval(fmt.Sprintf(`document.getElementById("case-%s") !== null || document.body.innerText.includes(%q)`, mine.ID, "Förnya hjälpmedlet"), &shown)
	if shown {
		t.Error("the doctors' queue shows the therapists' case")
	}
	run(t, doc, "the therapists' case by its address", chromedp.Navigate(c.origin+"/cases/"+string(mine.ID)), chromedp.WaitVisible(`.error`))
	if txt := doc.Text("main"); strings.Contains(txt, canaryName) || strings.Contains(txt, canaryText) {
		t.Errorf("a doctor sees the therapists' case: %q", txt)
	}

	run(t, ot, "take it", chromedp.Click(`#case-`+string(mine.ID)+` button`), chromedp.WaitVisible(`#answer-text`))
	if got := ot.Text(`.flash`); !strings.Contains(got, "Du har tagit ärendet") {
		t.Errorf("after the take: %q", got)
	}
	got, err := c.gw.Cases().Get(context.Background(), cases.Actor{Kind: cases.System}, mine.ID)
	if err != nil || got.Assignee != hsaClinA || got.Status != cases.Assigned || got.Group != groupOT {
		t.Fatalf("after the take: %v %+v", err, got)
	}
	run(t, ot, "the queue is empty again", chromedp.Navigate(c.origin+"/queue/"+groupOT), chromedp.WaitVisible(`#queue-empty`))
	for _, tab := range []*uitest.Tab{ot, doc} {
		for _, e := range tab.ConsoleErrors() {
			if !strings.Contains(e, "/favicon.ico") && !strings.Contains(e, "403") { // no favicon; the refused case page
				t.Errorf("console error: %q", e)
			}
		}
	}
}

// TestAxeGroupPages: axe-core on the new pages — the unit administrator's
// groups page (also refused), a group's queue, the list of queues and a
// case page with the move to a queue and the take — in Swedish and in
// English: no serious or critical violation.
func TestAxeGroupPages(t *testing.T) {
	c := startClinic(t)
	c.setGroups()
	q := c.receiveInto(groupOT, casetype.RenewPrescription, "Recept.")
	admin := c.login(hsaAdmin)
	admin.form("/admin/groups", nil) // a refused save: the page with its error
	b := uitest.NewBrowser(t)
	pages := map[string][]string{
		hsaAdmin: {"/admin/groups"},
		hsaClinA: {"/queue/" + groupOT, "/cases/" + string(q.ID)},
		hsaDist:  {"/queue/" + groupOT, "/cases/" + string(q.ID)},
		hsaClinB: {"/queue/" + groupDocs},
	}
	for who, paths := range pages {
		tab := b.NewTab(t)
		useSession(t, tab, c.login(who))
		for _, lang := range []string{"sv", "en"} {
			for _, p := range paths {
				tab.Navigate(c.origin + p)
				if h := tab.Text("h1"); h == "Logga in" || h == "Log in" {
					t.Fatalf("%s %s: not logged in", who, p)
				}
				var got string
				tab.Eval(`document.documentElement.lang`, &got)
				if got != lang {
					t.Errorf("%s %s: the page is in %q, want %q", who, p, got, lang)
				}
				for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
					t.Errorf("%s %s (%s): %s (%s): %s %v", who, p, lang, v.ID, v.Impact, v.Help, v.Nodes)
				}
			}
			if lang == "sv" {
				run(t, tab, "in English", chromedp.Click(`form[action="/lang"] button`), chromedp.WaitReady(`html[lang="en"]`))
			}
		}
	}
	// The refused save's page, with the error at its place.
	tab := b.NewTab(t)
	useSession(t, tab, admin)
	run(t, tab, "a nameless group", chromedp.Navigate(c.origin+"/admin/groups"), chromedp.Click(`#create-group`))
	run(t, tab, "a name taken", chromedp.SetValue(`#new-name`, "läkare"), chromedp.Click(`#create-group`), chromedp.WaitVisible(`#new-err`))
	if got := tab.Text(`#new-err`); !strings.Contains(got, "Det finns redan en grupp med det namnet") {
		t.Errorf("refused: %q", got)
	}
	for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
		t.Errorf("/admin/groups refused: %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
	}
}
