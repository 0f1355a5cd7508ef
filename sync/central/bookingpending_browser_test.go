package central

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"clinicgw/localui/uitest"
	"clinicgw/sync/wire"
)

// TestPendingBookingInChromium: in Chromium, a patient books a time on
// the booking pages; until the gateway decides, "Bokade tider" shows it
// as sent and waiting for the unit's answer (with a link to the request),
// not as booked; once the decision arrives it shows as booked. A cancel
// goes the same way: waiting, then gone. The page passes axe-core with a
// pending row.
func TestPendingBookingInChromium(t *testing.T) {
	e := newEnv(t)
	body, _ := wire.Marshal(bookingTimes())
	if st, _, out := e.do(e.api, unitA, http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, body); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, out)
	}
	tab := uitest.NewBrowser(t).NewTab(t)
	unitPage := e.web.URL + "/boka/" + unitA
	var mine string
	bokade := func(what string) string {
		t.Helper()
		if err := tab.Run(chromedp.Navigate(unitPage), chromedp.WaitVisible(`#bokade`),
			chromedp.Evaluate(`document.querySelector("#bokade").parentElement.innerText`, &mine)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return mine
	}
	for _, step := range []struct {
		what string
		do   chromedp.Tasks
	}{
		{"login", chromedp.Tasks{chromedp.Navigate(e.web.URL + "/logga-in"), chromedp.WaitVisible(`#pnr`),
			chromedp.SendKeys(`#pnr`, adultPNR), chromedp.SendKeys(`#name`, adultName), chromedp.Submit(`#pnr`),
			chromedp.WaitVisible(`a[href="/konto"]`)}},
		{"choose the type", chromedp.Tasks{chromedp.Navigate(unitPage), chromedp.Click(`a[href*="?typ="]`), chromedp.WaitVisible(`#lediga`)}},
		{"choose 09:00", chromedp.Tasks{chromedp.Click(`#lediga ~ ul a[href*="/tid/t1"]`), chromedp.WaitVisible(`main form button[type=submit]`)}},
		{"book", chromedp.Tasks{chromedp.Click(`main form button[type=submit]`), chromedp.WaitVisible(`div.notice`)}},
	} {
		if err := tab.Run(step.do); err != nil {
			var text string
			tab.Run(chromedp.Evaluate(`document.body.innerText.slice(0, 600)`, &text))
			t.Fatalf("%s: %v\n%s", step.what, err, text)
		}
	}
	got := bokade("after the request")
	if !strings.Contains(got, "Väntar på svar från mottagningen") || !strings.Contains(got, "09:00") || strings.Contains(got, "Avboka") {
		t.Errorf("Bokade tider while the gateway decides:\n%s", got)
	}
	if n := 0; tab.Run(chromedp.Evaluate(`document.querySelectorAll('#bokade ~ ul a[href*="/begaran/"]').length`, &n)) != nil || n != 1 {
		t.Errorf("the pending row links to its request %d times, want 1", n)
	}
	for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
		t.Errorf("Bokade tider with a pending request: %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
	}
	confirm := func(r wire.BookingRequest) wire.BookingDecision {
		return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingConfirmed}
	}
	if got := e.gatewayDecides(unitA, confirm); len(got) != 1 {
		t.Fatalf("the gateway got %d requests", len(got))
	}
	got = bokade("after the confirmation")
	if strings.Contains(got, "Väntar på svar") || !strings.Contains(got, "Avboka") || !strings.Contains(got, "09:00") {
		t.Errorf("Bokade tider after the confirmation:\n%s", got)
	}

	if err := tab.Run(chromedp.Click(`#bokade ~ ul form[action*="/avboka/t1"] button`), chromedp.WaitVisible(`div.notice`)); err != nil {
		t.Fatal(err)
	}
	got = bokade("after the cancel request")
	if !strings.Contains(got, "Avbokning skickad") || !strings.Contains(got, "Väntar på svar från mottagningen") {
		t.Errorf("Bokade tider while the cancel is decided:\n%s", got)
	}
	e.gatewayDecides(unitA, confirm)
	got = bokade("after the cancel")
	if strings.Contains(got, "Väntar på svar") || strings.Contains(got, "09:00") || !strings.Contains(got, "Du har inga bokade tider") {
		t.Errorf("Bokade tider after the cancel was confirmed:\n%s", got)
	}
}
