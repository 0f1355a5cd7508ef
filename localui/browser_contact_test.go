package localui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"clinicgw/localui/uitest"
	"clinicgw/sync/wire"
)

// TestBrowserContactDetails: in headless Chromium, the unit administrator
// fills in the unit's contact details on the contact page and saves; the
// gateway publishes them to the real reference central store over mutual
// TLS, whose patient pages show them on the unit's page. Bad input (a
// phone number in words, an http website, an English text without the
// Swedish) is refused with Swedish messages at each field, marked
// invalid, and changes nothing, neither here nor at the central store.
// axe-core finds no serious or critical violation on the page, empty,
// filled, refused, in Swedish and English.
func TestBrowserContactDetails(t *testing.T) {
	b := uitest.NewBrowser(t)
	c, cs := startCentralClinic(t)
	admin := b.NewTab(t)
	useSession(t, admin, c.login(hsaAdmin))
	axe := func(what string) {
		t.Helper()
		for _, v := range uitest.SeriousOrCritical(admin.Axe(t)) {
			t.Errorf("%s: %s (%s): %s %v", what, v.ID, v.Impact, v.Help, v.Nodes)
		}
	}
	lang := func(code string) {
		t.Helper()
		run(t, admin, "language "+code, network.SetCookie("__Host-clinicgw-lang", code).WithURL(c.origin+"/").
			WithSecure(true).WithHTTPOnly(true).WithSameSite(network.CookieSameSiteStrict))
	}
	open := func() {
		t.Helper()
		run(t, admin, "the contact page", chromedp.Navigate(c.origin+"/admin/contact"), chromedp.WaitVisible(`#contact-save`))
	}
	lang("en")
	open()
	run(t, admin, "English", waitText(`h1`, "Contact details for patients"))
	axe("contact page, empty, en")
	lang("sv")
	open()
	run(t, admin, "the menu leads here", waitAttr(`nav a[href="/admin/contact"]`, "aria-current", "page"))
	axe("contact page, empty, sv")

	want := wire.UnitContact{Address: "Storgatan 1\n123 45 Småstad", Phone: "08-123 456 78",
		Hours: wire.Text{SV: "Mån–fre 8–17", EN: "Mon–Fri 8–17"}, Website: "https://www.example.se/vardcentralen",
		Text: wire.Text{SV: "Ring 1177 vid akuta besvär."}}
	run(t, admin, "fill in", chromedp.SendKeys(`#address`, "Storgatan 1\n123 45 Småstad"), chromedp.SendKeys(`#phone`, want.Phone),
		chromedp.SendKeys(`#hoursSv`, want.Hours.SV), chromedp.SendKeys(`#hoursEn`, want.Hours.EN),
		chromedp.SendKeys(`#website`, want.Website), chromedp.SendKeys(`#textSv`, want.Text.SV),
		chromedp.Click(`#contact-save`), chromedp.WaitVisible(`.flash`), waitText(`.flash`, "Sparat."))
	axe("contact page, saved, sv")
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := cs.Store.Contact(t.Context(), testUnit)
		if err != nil {
			t.Fatal(err)
		}
		if got == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the central store has %+v, want %+v", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Bad input: refused at each field, in Swedish; nothing changes.
	run(t, admin, "bad input", chromedp.Evaluate(`document.getElementById("phone").value = "ring oss";
		document.getElementById("website").value = "http://www.example.se";
		document.getElementById("textSv").value = ""; document.getElementById("textEn").value = "Call us."; true`, nil),
		chromedp.Click(`#contact-save`),
		chromedp.WaitVisible(`#phone-error`), waitText(`main .error`, "Uppgifterna sparades inte"),
		waitText(`#phone-error`, "Telefonnumret ska ha 7–15 siffror"), waitText(`#website-error`, "Webbadressen ska börja med https://"),
		waitText(`#textSv-error`, "Skriv den svenska texten också"),
		waitAttr(`#phone`, "aria-invalid", "true"), waitAttr(`#phone`, "aria-describedby", "phone-help phone-error"))
	var typed string
	run(t, admin, "what was typed stays", chromedp.Value(`#phone`, &typed))
	if typed != "ring oss" {
		t.Errorf("the refused page shows %q in the phone field, want what was typed", typed)
	}
	axe("contact page, refused, sv")
	if got, err := cs.Store.Contact(t.Context(), testUnit); err != nil || got != want {
		t.Errorf("after a refused save the central store has %+v (%v)", got, err)
	}
	open()
	var phone string
	run(t, admin, "reloaded", chromedp.Value(`#phone`, &phone))
	if phone != want.Phone {
		t.Errorf("after a refused save the page shows phone %q, want %q", phone, want.Phone)
	}
	lang("en")
	open()
	axe("contact page, filled, en")

	// The patient sees them on the unit's page at the central store.
	patient := b.NewTab(t)
	pnr := c.patientPNR()
	run(t, patient, "patient login", chromedp.Navigate(cs.WebURL+"/logga-in"), chromedp.WaitVisible(`#pnr`),
		chromedp.SendKeys(`#pnr`, string(pnr)), chromedp.SendKeys(`#name`, canaryName),
		chromedp.Click(`main form button[type=submit]`), chromedp.WaitVisible(`a[href="/skriv"]`))
	run(t, patient, "the unit's page", chromedp.Navigate(cs.WebURL+"/skriv/"+testUnit), chromedp.WaitVisible(`#kontakt`),
		waitText(`.contact`, "08-123 456 78"), waitText(`.contact`, "Mån–fre 8–17"), waitText(`.contact`, "Ring 1177 vid akuta besvär."),
		waitAttr(`.contact a`, "href", want.Website))
	for _, tab := range []*uitest.Tab{admin, patient} {
		for _, e := range tab.ConsoleErrors() {
			if !strings.Contains(e, "/favicon.ico") && !strings.Contains(e, "status of 400") { // the refused save answers 400
				t.Errorf("console error: %q", e)
			}
		}
	}
}
