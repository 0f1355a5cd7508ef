package localui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"clinicgw/agent/booking"
	"clinicgw/localui/uitest"
)

// TestBrowserBookingFlow: in headless Chromium, the gateway and its own
// reference central store over mutual TLS. A patient books a time on the
// central store's /boka pages, rebooks it to a later time of the same
// type, and cancels it; each waits for the gateway's confirmation. A
// clinician's diary week, open in another tab at the gateway, shows each
// change without a reload.
func TestBrowserBookingFlow(t *testing.T) {
	b := uitest.NewBrowser(t)
	c, cs := startCentralClinic(t)
	pnr := c.patientPNR()
	d := c.gw.Diary()
	ctx := t.Context()
	visit := booking.TimeType{ID: "besok-30", StaffName: "Mottagningsbesök", PatientName: "Besök", Minutes: 30,
		Online: true, Rebook: true, RebookHours: 24, Cancel: true, CancelHours: 24}
	if err := d.PutType(ctx, visit); err != nil {
		t.Fatal(err)
	}
	if err := d.PutTemplate(ctx, booking.Template{ID: "t1", Clinician: hsaClinA, TypeID: visit.ID,
		Weekday: time.Wednesday, Start: "08:00", Count: 3, From: "2026-11-25", Until: "2026-11-25"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Generate(ctx, 8); err != nil {
		t.Fatal(err)
	}
	first, later := `#t-`+diarySlot("2026-11-25", "08:00", hsaClinA), `#t-`+diarySlot("2026-11-25", "09:00", hsaClinA)

	staff := b.NewTab(t)
	useSession(t, staff, c.login(hsaClinA))
	run(t, staff, "the clinician's week", chromedp.Navigate(c.origin+"/diary?date=2026-11-25"),
		chromedp.WaitVisible(first+`[data-state="free"]`, chromedp.ByQuery), chromedp.WaitReady(`body[data-watching="1"]`, chromedp.ByQuery))

	patient := b.NewTab(t)
	unitPage := cs.WebURL + "/boka/" + testUnit
	run(t, patient, "patient login", chromedp.Navigate(cs.WebURL+"/logga-in"), chromedp.WaitVisible(`#pnr`),
		chromedp.SendKeys(`#pnr`, string(pnr)), chromedp.SendKeys(`#name`, canaryName),
		chromedp.Click(`main form button[type=submit]`), chromedp.WaitVisible(`a[href="/skriv"]`))
	// The patient pages have no script: the patient reloads until the
	// times, or the gateway's answer, are there.
	reloadUntil := func(what, url, want string) string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		if url == "" { // where the last form's redirect led
			run(t, patient, what, chromedp.WaitVisible(`main`), chromedp.Location(&url))
		}
		for {
			var text string
			run(t, patient, what, chromedp.Navigate(url))
			run(t, patient, what, chromedp.WaitVisible(`main`), chromedp.Evaluate(`document.querySelector("main").innerText`, &text))
			if strings.Contains(text, want) {
				return text
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %q not on the page within 20 s:\n%s", what, want, text)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// After a form is sent, the page of the request it made.
	waitRequestPage := retryNav(chromedp.Poll(`location.pathname.includes("/begaran/") && document.readyState === "complete"`, nil,
		chromedp.WithPollingTimeout(10*time.Second)))
	timeLinks := `main a[href^="/boka/` + testUnit + `/tid/"]`
	typ, err := d.PublicTypeID(t.Context(), visit.ID) // the patient pages know the type by its opaque id
	if err != nil {
		t.Fatal(err)
	}
	reloadUntil("the free times", unitPage+"?typ="+typ, "onsdag 25 november 2026")
	run(t, patient, "choose 08:00", chromedp.Click(timeLinks, chromedp.ByQuery), chromedp.WaitVisible(`main form button[type=submit]`))
	run(t, patient, "book", chromedp.Click(`main form button[type=submit]`, chromedp.ByQuery), waitRequestPage)
	reloadUntil("the booking confirmed", "", "mottagningen har bekräftat")
	run(t, staff, "the booking shows live", chromedp.WaitVisible(first+`[data-state="booked"]`, chromedp.ByQuery))

	run(t, patient, "rebook", chromedp.Navigate(unitPage), chromedp.WaitVisible(`main a[href*="fran="]`),
		chromedp.Click(`main a[href*="fran="]`, chromedp.ByQuery), chromedp.WaitVisible(timeLinks))
	run(t, patient, "choose the later time", chromedp.Click(`main li:last-child > `+strings.TrimPrefix(timeLinks, "main "), chromedp.ByQuery),
		waitText(`main form button[type=submit]`, "Boka om till den här tiden"))
	var chosen string
	run(t, patient, "confirm the rebooking", chromedp.Text(`main p`, &chosen, chromedp.ByQuery),
		chromedp.Click(`main form button[type=submit]`, chromedp.ByQuery), waitRequestPage)
	if !strings.Contains(chosen, "09:00") {
		t.Errorf("the rebooking's time is %q; want the later 09:00", chosen)
	}
	reloadUntil("the rebooking confirmed", "", "mottagningen har bekräftat")
	run(t, staff, "the rebooking shows live", chromedp.WaitVisible(later+`[data-state="booked"]`, chromedp.ByQuery),
		chromedp.WaitVisible(first+`[data-state="free"]`, chromedp.ByQuery))

	run(t, patient, "cancel", chromedp.Navigate(unitPage), chromedp.WaitVisible(`main form[action*="/avboka/"] button`),
		chromedp.Click(`main form[action*="/avboka/"] button`, chromedp.ByQuery), waitRequestPage)
	reloadUntil("the cancellation confirmed", "", "mottagningen har bekräftat")
	run(t, staff, "the cancellation shows live", chromedp.WaitVisible(later+`[data-state="free"]`, chromedp.ByQuery))
	if text := reloadUntil("Bokade tider", unitPage, "Bokade tider"); !strings.Contains(text, "Du har inga bokade tider") {
		t.Errorf("after the cancellation, Bokade tider:\n%s", text)
	}
	for _, tab := range []*uitest.Tab{staff, patient} {
		for _, e := range tab.ConsoleErrors() {
			if !strings.Contains(e, "/favicon.ico") {
				t.Errorf("console error: %q", e)
			}
		}
	}
}
