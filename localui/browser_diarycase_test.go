package localui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/casetype"
)

// TestBrowserBookFromCase: in Chromium, the clinician assigned a
// "Beställa tid" case follows the case page's link, picks a free time of
// the week and books it: the case page says so, the answer in the thread
// names the date, the Swedish time and the place, and the diary shows
// the time booked. axe-core finds no serious or critical violation on
// the booking page, in Swedish and in English.
func TestBrowserBookFromCase(t *testing.T) {
	c := startClinic(t)
	c.setDiary(c.login(hsaAdmin))
	cs := c.receive(casetype.BookAppointment, "Jag vill ha en tid.")
	if r, body := c.login(hsaDist).form("/cases/"+string(cs.ID)+"/assign", url.Values{"assignee": {hsaClinA}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign: %d %.300s", r.StatusCode, body)
	}
	c.pnrs = append(c.pnrs, string(cs.Patient.PNR))
	clin := c.login(hsaClinA)
	b := uitest.NewBrowser(t)
	tab := b.NewTab(t)
	useSession(t, tab, clin)
	s1 := diarySlot("2026-11-24", "08:00", hsaClinA)
	run(t, tab, "the case's link", chromedp.Navigate(c.origin+"/cases/"+string(cs.ID)),
		chromedp.Click(`#book-time a`, chromedp.ByQuery), chromedp.WaitVisible(`#dc-times`, chromedp.ByQuery))
	for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
		t.Errorf("/diary/case (sv): %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
	}
	run(t, tab, "in English", chromedp.Click(`form[action="/lang"] button`), chromedp.WaitReady(`html[lang="en"]`),
		chromedp.WaitVisible(`#dc-times`, chromedp.ByQuery))
	for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
		t.Errorf("/diary/case (en): %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
	}
	run(t, tab, "in Swedish", chromedp.Click(`form[action="/lang"] button`), chromedp.WaitReady(`html[lang="sv"]`),
		chromedp.WaitVisible(`#dc-times`, chromedp.ByQuery))
	run(t, tab, "book and answer", chromedp.Click(`#slot-`+s1, chromedp.ByID),
		chromedp.SendKeys(`#dc-text`, "Välkommen till oss.", chromedp.ByID),
		chromedp.Click(`#dc-book`, chromedp.ByID), chromedp.WaitVisible(`.flash`, chromedp.ByQuery))
	if got := tab.Text(`.flash`); !strings.Contains(got, "Tiden är bokad och patienten har fått svar") {
		t.Errorf("the flash says %q", got)
	}
	if got := tab.Text(`main`); !strings.Contains(got, "Du har fått en tid: tisdag 24 november 2026 kl. 08:00–08:30 (svensk tid).") {
		t.Errorf("the thread lacks the answer with the time:\n%s", got)
	}
	run(t, tab, "the diary", chromedp.Navigate(c.origin+"/diary?view=day&date=2026-11-24"),
		chromedp.WaitVisible(`#t-`+s1+`[data-state="booked"]`, chromedp.ByQuery))
}
