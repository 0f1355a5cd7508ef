package localui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"clinicgw/agent/cases"
	"clinicgw/localui/uitest"
	"clinicgw/sync/central"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// TestBrowserSyncBadge: in headless Chromium, against the real reference
// central store over mutual TLS. A clinician has a case open; the header
// badge says the gateway is connected. The central store's sync API is
// cut (listener and connections closed, as a pulled cable): the badge
// turns to "no contact since 09:00" (the clinic's clock) without a
// reload. The clinician answers: the page says "saved — will be sent",
// the message is marked waiting, and the badge counts one answer waiting.
// The central store is served again: without a reload, the page turns to
// "sent to the patient", the message to "sent", the badge to connected,
// and the patient has the answer. axe-core finds no serious or critical
// violation on the case page with the badge in either state, in Swedish
// and English.
func TestBrowserSyncBadge(t *testing.T) {
	b := uitest.NewBrowser(t)
	c, cs := startCentralClinic(t)
	pnr := c.patientPNR()
	const answer = "Ditt recept är förnyat och finns på apoteket."
	id, err := cs.Store.Submit(t.Context(), testUnit, central.Submission{PatientPNR: string(pnr), PatientName: canaryName,
		FormID: string(casetype.RenewPrescription), Text: canaryText, Fields: []wire.Field{{Name: "medicine", Value: "Kanarieol 5 mg"}}})
	if err != nil {
		t.Fatal(err)
	}
	sys := cases.Actor{Kind: cases.System}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := c.gw.Cases().Get(t.Context(), sys, cases.ID(id)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the case did not reach the gateway within 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.login(hsaDist).form("/cases/"+id+"/assign", map[string][]string{"assignee": {hsaClinA}})

	clin := b.NewTab(t)
	useSession(t, clin, c.login(hsaClinA))
	axe := func(what string) {
		t.Helper()
		for _, v := range uitest.SeriousOrCritical(clin.Axe(t)) {
			t.Errorf("%s: %s (%s): %s %v", what, v.ID, v.Impact, v.Help, v.Nodes)
		}
	}
	lang := func(code string) {
		t.Helper()
		run(t, clin, "language "+code, network.SetCookie("__Host-clinicgw-lang", code).WithURL(c.origin+"/").
			WithSecure(true).WithHTTPOnly(true).WithSameSite(network.CookieSameSiteStrict))
	}
	open := func() {
		t.Helper()
		run(t, clin, "the case page", chromedp.Navigate(c.origin+"/cases/"+id), chromedp.WaitVisible(`#casebody`),
			waitAttr(`body`, "data-ws", "open"))
	}
	lang("en")
	open()
	run(t, clin, "connected (en)", waitText(`#sync-badge`, "Connected to the central service"), waitAttr(`#sync-badge`, "data-ok", "1"))
	axe("case page, connected, en")
	lang("sv")
	open()
	run(t, clin, "connected", waitText(`#sync-badge`, "Ansluten till den centrala tjänsten"), waitAttr(`#sync-badge`, "data-ok", "1"))
	axe("case page, connected, sv")
	run(t, clin, "mark the document", chromedp.Evaluate(`window.notReloaded = true`, nil))

	if err := cs.Cut(); err != nil {
		t.Fatal(err)
	}
	run(t, clin, "no contact, live", waitText(`#sync-badge`, "Ingen kontakt med den centrala tjänsten sedan 09:00"), waitAttr(`#sync-badge`, "data-ok", "0"))
	run(t, clin, "answer while cut", chromedp.SendKeys(`#answer-text`, answer), chromedp.Click(`#send`),
		chromedp.WaitVisible(`#delivery`), waitText(`#delivery`, "Sparat — skickas när anslutningen är tillbaka."),
		waitText(`.msg:last-child .delivery`, "Väntar på att skickas"),
		waitText(`#sync-badge`, "Ingen kontakt sedan 09:00 — ett svar väntar på att skickas"))
	if strings.Contains(clin.Text(`#delivery`), "Skickat") {
		t.Fatal("the page said sent before the central store had the answer")
	}
	axe("case page, no contact, sv")
	run(t, clin, "mark the document", chromedp.Evaluate(`window.notReloaded = true`, nil))

	if err := cs.Restore(); err != nil {
		t.Fatal(err)
	}
	long := chromedp.WithPollingTimeout(30 * time.Second)
	run(t, clin, "sent, live", chromedp.Poll(`document.getElementById("delivery").textContent === "Skickat till patienten."`, nil, long),
		chromedp.Poll(`document.getElementById("sync-badge").textContent === "Ansluten till den centrala tjänsten"`, nil, long),
		waitText(`.msg:last-child .delivery`, "Skickat"))
	var kept bool
	run(t, clin, "no reload", chromedp.Evaluate(`window.notReloaded === true`, &kept))
	if !kept {
		t.Fatal("the page was reloaded")
	}
	pc, err := cs.Store.PatientCase(t.Context(), string(pnr), id)
	if err != nil || pc.StaffMessages() != 1 || pc.Messages[len(pc.Messages)-1].Text != answer {
		t.Fatalf("the patient's case at the central store: %+v, %v", pc, err)
	}
	lang("en")
	open()
	run(t, clin, "sent (en)", waitText(`.msg:last-child .delivery`, "Sent"), waitText(`#sync-badge`, "Connected"))
	axe("case page after the answer, en")
	if err := cs.Cut(); err != nil {
		t.Fatal(err)
	}
	run(t, clin, "no contact (en)", waitText(`#sync-badge`, "No contact with the central service since 09:00"))
	axe("case page, no contact, en")
	if err := cs.Restore(); err != nil {
		t.Fatal(err)
	}
	for _, e := range clin.ConsoleErrors() {
		if !strings.Contains(e, "/favicon.ico") { // the UI has none
			t.Errorf("console error: %q", e)
		}
	}
}
