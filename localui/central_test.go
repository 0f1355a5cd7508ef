package localui_test

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"clinicgw/agent/cases"
	"clinicgw/agent/democlinic"
	"clinicgw/localui/uitest"
	"clinicgw/sync/logtest"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// startCentralClinic starts a clinic as startClinic does, but with its own
// reference central store (democlinic.StartCentral) that the gateway syncs
// with over mutual TLS on loopback. Neither technical log may carry the
// canaries or a personnummer the test records in c.pnrs.
func startCentralClinic(t testing.TB) (*clinic, *democlinic.Central) {
	t.Helper()
	return startCentralClinicOn(t, nil, nil)
}

// startCentralClinicOn is startCentralClinic with the UI's listener
// wrapped by wrap (nil: as it is) and the central store started inside
// central (nil: as it is), which may label its goroutines for a profile.
func startCentralClinicOn(t testing.TB, wrap func(net.Listener) net.Listener, central func(start func())) (*clinic, *democlinic.Central) {
	t.Helper()
	var cs *democlinic.Central
	c := startClinicOn(t, "", func(dc *democlinic.Clinic) map[string]*logtest.Buffer {
		logs := &logtest.Buffer{}
		var err error
		start := func() {
			cs, err = dc.StartCentral(context.Background(), slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
		}
		if central != nil {
			central(start)
		} else {
			start()
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := cs.Close(); err != nil {
				t.Errorf("central store close: %v", err)
			}
		})
		return map[string]*logtest.Buffer{"central store": logs}
	}, wrap)
	return c, cs
}

// patientPNR is the next synthetic personnummer for a patient of the
// central store, recorded for the log check.
func (c *clinic) patientPNR() personnummer.Personnummer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	pnr := personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 980+c.seq%20)
	c.pnrs = append(c.pnrs, string(pnr))
	return pnr
}

// TestBrowserAcrossCentral: in headless Chromium, a patient logs in on the
// central store's patient pages and writes a case on the unit's
// prescription form; the case travels to the gateway over mutual TLS and
// appears in the distributor's already-open inbox without a reload; the
// distributor assigns it; the clinician, in another browser with another
// card, answers; the answer travels back and the patient reads it on the
// central pages.
func TestBrowserAcrossCentral(t *testing.T) {
	b := uitest.NewBrowser(t)
	start := time.Now()
	c, cs := startCentralClinic(t)
	pnr := c.patientPNR()
	const medicine = "Kanarieol 5 mg"
	const answer = "Ditt recept på Kanarieol är förnyat och finns på apoteket."

	dist := b.NewTab(t)
	useSession(t, dist, c.login(hsaDist))
	run(t, dist, "open inbox", chromedp.Navigate(c.origin+"/inbox"), chromedp.WaitVisible(`#rows`),
		waitAttr(`body`, "data-ws", "open"))

	patient := b.NewTab(t)
	run(t, patient, "patient login", chromedp.Navigate(cs.WebURL+"/logga-in"), chromedp.WaitVisible(`#pnr`),
		chromedp.SendKeys(`#pnr`, string(pnr)), chromedp.SendKeys(`#name`, canaryName),
		chromedp.Click(`main form button[type=submit]`), chromedp.WaitVisible(`a[href="/skriv"]`),
		waitText(`main`, "Du har inga ärenden ännu."))
	run(t, patient, "choose the unit and the form", chromedp.Click(`a[href="/skriv"]`),
		chromedp.WaitVisible(`a[href="/skriv/`+testUnit+`"]`), chromedp.Click(`a[href="/skriv/`+testUnit+`"]`),
		chromedp.WaitVisible(`a[href="/skriv/`+testUnit+`/`+string(casetype.RenewPrescription)+`"]`),
		chromedp.Click(`a[href="/skriv/`+testUnit+`/`+string(casetype.RenewPrescription)+`"]`),
		chromedp.WaitVisible(`#f-medicine`))
	var where string
	run(t, patient, "write the case", chromedp.SendKeys(`#f-medicine`, medicine), chromedp.SendKeys(`#text`, canaryText),
		chromedp.Click(`main form button[type=submit]`), chromedp.WaitVisible(`#meddelanden`),
		waitText(`main`, "Mottaget"), chromedp.Location(&where))
	u, err := url.Parse(where)
	if err != nil || !strings.HasPrefix(u.Path, "/arenden/") {
		t.Fatalf("after submitting, the patient is at %q", where)
	}
	id := cases.ID(strings.TrimPrefix(u.Path, "/arenden/"))
	submitted := time.Now()

	run(t, dist, "the new case in the open inbox without reload", chromedp.WaitVisible(`#case-`+string(id)),
		waitText(`#case-`+string(id), canaryName))
	t.Logf("case %s visible in the distributor's open inbox %v after the patient's submit", id, time.Since(submitted))
	run(t, dist, "assign", chromedp.SetValue(`#distribute-to`, hsaClinA),
		chromedp.Click(`#case-`+string(id)+` button[formaction$="/assign"]`), chromedp.WaitVisible(`.flash`))

	clin := b.NewTab(t)
	useSession(t, clin, c.login(hsaClinA))
	run(t, clin, "the clinician opens the case", chromedp.Navigate(c.origin+"/cases/"+string(id)),
		chromedp.WaitVisible(`#answer-text`), waitText(`main`, medicine), waitText(`main`, canaryText))
	run(t, clin, "answer", chromedp.SendKeys(`#answer-text`, answer), chromedp.Click(`#send`), chromedp.WaitVisible(`.flash`))
	answered := time.Now()

	// The patient pages have no script: the patient reloads until the
	// answer is there.
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		var text string
		run(t, patient, "the patient's case page", chromedp.Navigate(cs.WebURL+"/arenden/"+string(id)),
			chromedp.WaitVisible(`#meddelanden`), chromedp.Evaluate(`document.querySelector("main").innerText`, &text))
		if strings.Contains(text, answer) {
			for _, want := range []string{"Svar från Läkare", "Besvarat", medicine, canaryText} {
				if !strings.Contains(text, want) {
					t.Errorf("the patient's case page lacks %q:\n%s", want, text)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the answer did not reach the patient's page within 15 s:\n%s", text)
		}
		<-tick.C
	}
	t.Logf("answer on the patient's page %v after the clinician sent it; whole test %v", time.Since(answered), time.Since(start))
	pc, err := cs.Store.PatientCase(t.Context(), string(pnr), string(id))
	if err != nil || pc.StaffMessages() != 1 {
		t.Fatalf("the central store's case: %d staff messages, %v", pc.StaffMessages(), err)
	}
	for _, tab := range []*uitest.Tab{dist, clin, patient} {
		for _, e := range tab.ConsoleErrors() {
			if !strings.Contains(e, "/favicon.ico") { // neither server has one
				t.Errorf("console error: %q", e)
			}
		}
	}
}
