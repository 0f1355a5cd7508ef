package central

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"clinicgw/localui/uitest"
)

// TestDeleteAccountInChromium: with the unit's sealing on, the patient
// reads their own sealed case text in Chromium, deletes their account
// ("Radera mitt konto", the box ticked), is told so on the login page,
// and after logging in again has no cases.
func TestDeleteAccountInChromium(t *testing.T) {
	e := newEnv(t)
	e.sealUnit(unitA)
	id := e.submit(unitA, restCaseText)
	tab := uitest.NewBrowser(t).NewTab(t)
	var caseText, notice, after string
	login := func() chromedp.Tasks {
		return chromedp.Tasks{chromedp.Navigate(e.web.URL + "/logga-in"), chromedp.WaitVisible(`#pnr`),
			chromedp.SendKeys(`#pnr`, adultPNR), chromedp.SendKeys(`#name`, adultName), chromedp.Submit(`#pnr`),
			chromedp.WaitVisible(`a[href="/konto"]`)}
	}
	if err := tab.Run(login(),
		chromedp.Navigate(e.web.URL+"/arenden/"+id), chromedp.WaitVisible(`main`), chromedp.Evaluate(`document.body.innerText`, &caseText),
		chromedp.Navigate(e.web.URL+"/"), chromedp.WaitVisible(`a[href="/konto"]`), chromedp.Click(`a[href="/konto"]`),
		chromedp.WaitVisible(`#bekrafta`), chromedp.Click(`#bekrafta`), chromedp.Submit(`#bekrafta`),
		chromedp.WaitVisible(`div.notice`), chromedp.Evaluate(`document.querySelector("div.notice").innerText`, &notice),
		login(), chromedp.Evaluate(`document.body.innerText`, &after)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(caseText, restCaseText) {
		t.Errorf("the patient does not read their own sealed text:\n%s", caseText)
	}
	if !strings.Contains(notice, "Ditt konto är raderat") {
		t.Errorf("the login page says %q", notice)
	}
	if !strings.Contains(after, "Du har inga ärenden ännu.") || strings.Contains(after, "Rådgivning") {
		t.Errorf("after deleting the account and logging in again:\n%s", after)
	}
}
