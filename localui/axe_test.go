package localui_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"clinicgw/cardauth/bridge"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/casetype"
)

// TestAxeEveryPage: axe-core (WCAG 2.0/2.1 A and AA) on every page each
// role sees, in headless Chromium: no serious or critical violation.
func TestAxeEveryPage(t *testing.T) {
	c := startClinic(t)
	cs := c.receive(casetype.RenewPrescription, "Recept.")
	c.login(hsaDist).form("/cases/"+string(cs.ID)+"/assign", url.Values{"assignee": {hsaClinA}})
	c.login(hsaAdmin).form("/admin/unit", url.Values{"standardAnswers": {"Klart\nDitt recept är förnyat."}})
	b := uitest.NewBrowser(t)
	pages := map[string][]string{
		"":       {"/login"},
		hsaDist:  {"/inbox", "/inbox?view=overdue", "/cases/" + string(cs.ID), "/settings", "/cases/new"},
		hsaClinA: {"/mine", "/cases/" + string(cs.ID), "/cases/new"},
		hsaAdmin: {"/admin/stats", "/admin/unit", "/admin/forms", "/admin/forms/symptom-registration"},
		hsaAudit: {"/audit"},
	}
	for who, paths := range pages {
		tab := b.NewTab(t)
		if who != "" {
			useSession(t, tab, c.login(who))
		}
		for _, p := range paths {
			tab.Navigate(c.origin + p)
			if h := tab.Text("h1"); h == "Logga in" && p != "/login" {
				t.Fatalf("%s %s: not logged in", who, p)
			}
			for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
				t.Errorf("%s %s: %s (%s): %s %v", who, p, v.ID, v.Impact, v.Help, v.Nodes)
			}
		}
	}
}

// switchedReader is the workstation's reader with a cable: the test
// unplugs and plugs it, and the bridge asks (bridge.ReaderChecker).
type switchedReader struct {
	*workstation
	connected atomic.Bool
}

func (r *switchedReader) Connected(context.Context) (bool, error) { return r.connected.Load(), nil }

// TestAxeLockAndErrorPages: axe-core on the pages people see when
// something went wrong: the lock screen after a session ended, 403 (a
// clinician opening a colleague's case, or a page of another role), 404
// (a case that does not exist, an address the UI does not have), 405 (an
// action by link), and the login page in each of its states
// (no reader, no card, no card at submit, no PIN, a wrong PIN, logged out,
// bridge not answering): no serious or critical violation.
func TestAxeLockAndErrorPages(t *testing.T) {
	bln, err := bridge.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := startClinicWith(t, "http://"+bln.Addr().String())
	cs := c.receive(casetype.RenewPrescription, "Recept.")
	c.login(hsaDist).form("/cases/"+string(cs.ID)+"/assign", url.Values{"assignee": {hsaClinA}})
	b := uitest.NewBrowser(t)
	axe := func(tab *uitest.Tab, what string) {
		t.Helper()
		for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
			t.Errorf("%s: %s (%s): %s %v", what, v.ID, v.Impact, v.Help, v.Nodes)
		}
	}

	// Error pages: check the status over HTTP, then axe the page.
	for _, p := range []struct {
		who, path string
		status    int
	}{
		{hsaClinB, "/cases/" + string(cs.ID), http.StatusForbidden}, // a colleague's case
		{hsaClinB, "/audit", http.StatusForbidden},                  // another role's page
		{hsaDist, "/cases/SAKNAS-4711", http.StatusNotFound},
		{hsaDist, "/finns-inte", http.StatusNotFound},                                 // an address the UI does not have
		{hsaDist, "/cases/" + string(cs.ID) + "/assign", http.StatusMethodNotAllowed}, // an action by link
	} {
		who := c.login(p.who)
		if r := who.get(p.path); r.StatusCode != p.status {
			t.Errorf("%s %s: %d, want %d", p.who, p.path, r.StatusCode, p.status)
		}
		tab := b.NewTab(t)
		useSession(t, tab, who)
		tab.Navigate(c.origin + p.path)
		tab.WaitVisible("#back")
		axe(tab, fmt.Sprintf("%s %s (%d)", p.who, p.path, p.status))
	}

	// The lock screen: the session ends while the inbox is open.
	dist := c.login(hsaDist)
	tab := b.NewTab(t)
	useSession(t, tab, dist)
	run(t, tab, "inbox", chromedp.Navigate(c.origin+"/inbox"), chromedp.WaitVisible(`#rows`), waitAttr(`body`, "data-ws", "open"))
	c.gw.Login().Logout(dist.sessionID())
	run(t, tab, "lock", chromedp.WaitVisible(`#lock`))
	axe(tab, "lock screen")

	// The login page's states, through the bridge with a reader the test
	// unplugs.
	ws := &workstation{changed: make(chan bool, 4)}
	reader := &switchedReader{workstation: ws}
	br, err := bridge.New(bridge.Config{Gateway: c.origin, GatewayTLS: &tls.Config{RootCAs: c.dc.PKI.RootPool(), MinVersion: tls.VersionTLS12},
		Cards: ws, Reader: reader, AppVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- br.Run(ctx) }()
	defer func() { cancel(); <-done }()
	srv := &http.Server{Handler: br.Handler(), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan struct{})
	go func() { defer close(served); srv.Serve(bln) }()
	defer func() { srv.Close(); <-served }()

	login := b.NewTab(t)
	login.Navigate(c.origin + "/login")
	run(t, login, "no reader", waitText(`#card-status`, "Ingen kortläsare hittades"))
	axe(login, "login: no reader")
	reader.connected.Store(true)
	run(t, login, "no card", waitText(`#card-status`, "Inget kort"))
	axe(login, "login: no card")
	run(t, login, "submit without a card", chromedp.Click(`#login-submit`), chromedp.WaitVisible(`#login-error`), waitText(`#login-error`, "Inget kort"))
	axe(login, "login: submitted without a card")
	ws.insert(c.dc.Cards[hsaDist])
	run(t, login, "card", waitText(`#card-status`, "Kortet är isatt"))
	run(t, login, "no PIN", chromedp.Click(`#login-submit`), chromedp.WaitVisible(`#login-error`), waitText(`#login-error`, "4–16 siffror"))
	axe(login, "login: no PIN")
	run(t, login, "wrong PIN", chromedp.SendKeys(`#pin`, "9999"), chromedp.Click(`#login-submit`), waitText(`#login-error`, "2 försök kvar"))
	axe(login, "login: wrong PIN")
	srv.Close()
	<-served
	run(t, login, "bridge gone", chromedp.Click(`#login-submit`), waitText(`#login-error`, "Kortläsartjänsten på den här datorn svarar inte"))
	axe(login, "login: bridge not answering")
	login.Navigate(c.origin + "/login?ended=1")
	login.WaitVisible(".flash")
	axe(login, "login: logged out")
}

// TestAxeInboxSvEn: axe-core on the inbox's pages of the administrator's
// day, in Swedish and in English: the inbox with its counts, order, search
// and selection; a search's result; a search refused (a wrong check
// digit); the note after a bulk assignment that could not assign a case.
func TestAxeInboxSvEn(t *testing.T) {
	c := startClinic(t)
	cs := c.receive(casetype.RenewPrescription, "Recept.")
	c.receive(casetype.AdviceNurse, "Ont.")
	pnr := string(cs.Patient.PNR)
	b := uitest.NewBrowser(t)
	tab := b.NewTab(t)
	useSession(t, tab, c.login(hsaDist))
	check := func(what string) {
		t.Helper()
		for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
			t.Errorf("%s: %s (%s): %s %v", what, v.ID, v.Impact, v.Help, v.Nodes)
		}
	}
	for _, lang := range []string{"sv", "en"} {
		if lang == "en" {
			run(t, tab, "in English", chromedp.Navigate(c.origin+"/inbox"), chromedp.Click(`form[action="/lang"] button`),
				chromedp.WaitReady(`html[lang="en"]`))
		}
		run(t, tab, "inbox "+lang, chromedp.Navigate(c.origin+"/inbox"), chromedp.WaitVisible(`#counts`))
		check("inbox " + lang)
		run(t, tab, "search "+lang, chromedp.SendKeys(`#q`, pnr, chromedp.ByQuery), chromedp.Submit(`#q`, chromedp.ByQuery),
			chromedp.WaitVisible(`#search-hits`))
		check("search result " + lang)
		run(t, tab, "refused search "+lang, chromedp.SendKeys(`#q`, pnr[:11]+"x", chromedp.ByQuery), chromedp.Submit(`#q`, chromedp.ByQuery),
			chromedp.WaitVisible(`.error[role="alert"]`))
		check("refused search " + lang)
		run(t, tab, "bulk note "+lang, chromedp.Navigate(c.origin+"/inbox?ok=bulk&n=2&failed="+string(cs.ID)), chromedp.WaitVisible(`#bulk-failed`))
		check("bulk note " + lang)
	}
}
