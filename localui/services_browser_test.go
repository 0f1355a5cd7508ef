package localui_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"clinicgw/agent/cases"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire"
)

// TestBrowserNewService: in headless Chromium, the unit administrator
// makes a new service "Förnya hjälpmedel" in the designer ("Ny tjänst")
// and gives it a form; the gateway publishes it to the reference central
// store, whose patient pages offer it with its answer time; a patient
// writes a case of it, which arrives live in the distributor's inbox under
// the service's name. The administrator then changes the form and retires
// the service: the case still opens and reads with the form it was written
// on. The designer passes axe in Swedish and English, also showing a
// refusal.
func TestBrowserNewService(t *testing.T) {
	b := uitest.NewBrowser(t)
	c, cs := startCentralClinic(t)
	const id, name = "fornya-hjalpmedel", "Förnya hjälpmedel"
	axe := func(tab *uitest.Tab, what string) {
		t.Helper()
		for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
			t.Errorf("%s: %s (%s): %s %v", what, v.ID, v.Impact, v.Help, v.Nodes)
		}
	}

	admin := b.NewTab(t)
	useSession(t, admin, c.login(hsaAdmin))
	run(t, admin, "the designer", chromedp.Navigate(c.origin+"/admin/services"), chromedp.WaitVisible(`#services`))
	axe(admin, "services (sv)")
	run(t, admin, "a bad id is refused at the place", chromedp.SendKeys(`#new-id`, "Förnya!"), chromedp.SendKeys(`#new-name-sv`, name),
		chromedp.Click(`#new-service button[type=submit]`), chromedp.WaitVisible(`#services-error`), waitText(`#services-error`, "Id ska vara"))
	axe(admin, "services with a refusal (sv)")
	run(t, admin, "Ny tjänst", chromedp.SetValue(`#new-id`, id), chromedp.Click(`#new-service button[type=submit]`),
		chromedp.WaitVisible(`.flash`), waitText(`.flash`, "Tjänsterna är sparade"), chromedp.WaitVisible(`#svc-`+id))
	run(t, admin, "its form", chromedp.Navigate(c.origin+"/admin/forms/"+id), chromedp.WaitVisible(`#editor`),
		chromedp.Click(`#add`), chromedp.WaitVisible(`#field-0`),
		chromedp.SendKeys(`#f0-name`, "device"), chromedp.SendKeys(`#f0-labelSv`, "Vilket hjälpmedel?"),
		chromedp.Click(`#publish`), chromedp.WaitVisible(`.flash`), waitText(`.flash`, "Formuläret är publicerat."))
	published := func(label string) func() bool {
		return func() bool {
			set, err := cs.Store.Forms(t.Context(), testUnit)
			i := slices.IndexFunc(set.Forms, func(f wire.Form) bool { return f.ID == id })
			return err == nil && i >= 0 && len(set.Forms[i].Fields) == 1 && set.Forms[i].Fields[0].Label.SV == label
		}
	}
	waitUntil(t, "the new service at the central store", published("Vilket hjälpmedel?"))

	dist := b.NewTab(t)
	useSession(t, dist, c.login(hsaDist))
	run(t, dist, "open inbox", chromedp.Navigate(c.origin+"/inbox"), chromedp.WaitVisible(`#rows`), waitAttr(`body`, "data-ws", "open"))

	pnr := c.patientPNR()
	patient := b.NewTab(t)
	run(t, patient, "patient login", chromedp.Navigate(cs.WebURL+"/logga-in"), chromedp.WaitVisible(`#pnr`),
		chromedp.SendKeys(`#pnr`, string(pnr)), chromedp.SendKeys(`#name`, canaryName),
		chromedp.Click(`main form button[type=submit]`), chromedp.WaitVisible(`a[href="/skriv"]`))
	run(t, patient, "the new service on the patient pages", chromedp.Navigate(cs.WebURL+"/skriv/"+testUnit),
		chromedp.WaitVisible(`a[href="/skriv/`+testUnit+`/`+id+`"]`), chromedp.Click(`a[href="/skriv/`+testUnit+`/`+id+`"]`),
		chromedp.WaitVisible(`#f-device`), waitText(`main`, "Mottagningen svarar inom 2 arbetsdagar."))
	var where string
	run(t, patient, "write the case", chromedp.SendKeys(`#f-device`, "Rullator"), chromedp.SendKeys(`#text`, canaryText),
		chromedp.Click(`main form button[type=submit]`), chromedp.WaitVisible(`#meddelanden`), chromedp.Location(&where))
	u, err := url.Parse(where)
	if err != nil || !strings.HasPrefix(u.Path, "/arenden/") {
		t.Fatalf("after submitting, the patient is at %q", where)
	}
	caseID := cases.ID(strings.TrimPrefix(u.Path, "/arenden/"))
	run(t, dist, "the case arrives live, under the service's name", chromedp.WaitVisible(`#case-`+string(caseID)),
		waitText(`#case-`+string(caseID), name))

	run(t, admin, "change the form", chromedp.Navigate(c.origin+"/admin/forms/"+id), chromedp.WaitVisible(`#f0-labelSv`),
		chromedp.SetValue(`#f0-labelSv`, "Hjälpmedlets namn"), chromedp.Click(`#publish`), chromedp.WaitVisible(`.flash`))
	run(t, admin, "Avsluta tjänst", chromedp.Navigate(c.origin+"/admin/services"), chromedp.Click(`#retire-`+id),
		chromedp.WaitVisible(`.flash`), waitText(`#svc-`+id, "Avslutad"))
	waitUntil(t, "the retired service gone from the central store", func() bool {
		set, err := cs.Store.Forms(t.Context(), testUnit)
		return err == nil && !slices.ContainsFunc(set.Forms, func(f wire.Form) bool { return f.ID == id })
	})
	run(t, dist, "the old case reads with its version", chromedp.Navigate(c.origin+"/cases/"+string(caseID)),
		chromedp.WaitVisible(`main`), waitText(`main`, "Vilket hjälpmedel?"), waitText(`main`, "Rullator"), waitText(`main`, name))
	if text := dist.Text(`main`); strings.Contains(text, "Hjälpmedlets namn") {
		t.Errorf("the old case reads with the changed form:\n%s", text)
	}

	run(t, admin, "English", network.SetCookie("__Host-clinicgw-lang", "en").WithURL(c.origin+"/").WithSecure(true),
		chromedp.Navigate(c.origin+"/admin/services"), chromedp.WaitVisible(`#services`), waitText(`h1`, "Services"))
	axe(admin, "services (en)")
	for _, tab := range []*uitest.Tab{admin, dist, patient} {
		if v := tab.CSPViolations(); len(v) > 0 {
			t.Errorf("CSP violations: %v", v)
		}
	}
}
