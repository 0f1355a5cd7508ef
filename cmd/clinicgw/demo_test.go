package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"clinicgw/agent/democlinic"
	"clinicgw/localui/uitest"
	"clinicgw/sync/logtest"
)

// TestDemoCardLogin is `make demo` as a person uses it, in Chromium: on
// the demo card reader's page they put the message administrator's card
// (a SoftHSM2 token) in the reader; the gateway's login page sees it
// through the bridge; a wrong PIN is refused by the token, the right one
// logs in to the seeded inbox; taking the card out on the reader's page
// locks the inbox.
func TestDemoCardLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo writes a store and SoftHSM2 tokens; skipped with -short")
	}
	var out, logs logtest.Buffer
	e := &env{stdout: &out, stderr: &out, log: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := startDemo(ctx, e, demoOptions{dir: t.TempDir(), history: 40, web: "127.0.0.1:0",
		ui: "127.0.0.1:0", bridge: "127.0.0.1:0", cards: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start the demo: %v\n%s", err, out.String())
	}
	defer d.close()
	b := uitest.NewBrowser(t)

	const hsaDist = "SE2321000016-DEMOADM"
	tray := b.NewTab(t)
	tray.Navigate(d.trayURL + "/")
	tray.WaitVisible(`main`)
	if got := tray.Text(`[role=status]`); !strings.Contains(got, "Inget kort") {
		t.Errorf("card reader page at start: %q", got)
	}
	tray.Click(`form[action="/insert"]:has(input[value="` + hsaDist + `"]) button`)
	tray.WaitVisible(`form[action="/remove"]`)
	if got := d.tray.Inserted(); got != hsaDist {
		t.Fatalf("card in the reader: %q, want %s", got, hsaDist)
	}

	ui := b.NewTab(t)
	ui.Navigate(d.uiURL + "/login")
	if err := ui.Run(chromedp.Poll(`document.getElementById("card-status").textContent.includes("Kortet är isatt")`, nil,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the login page does not see the demo card: %v (status %q)", err, ui.Text(`#card-status`))
	}
	ui.SendKeys(`#pin`, "9999")
	ui.Click(`#login-submit`)
	ui.WaitVisible(`#login-error`)
	if got := ui.Text(`#login-error`); !strings.Contains(got, "PIN") {
		t.Errorf("wrong PIN: %q", got)
	}
	ui.SendKeys(`#pin`, democlinic.CardPIN)
	ui.Click(`#login-submit`)
	if err := ui.Run(chromedp.WaitVisible(`#rows`)); err != nil {
		t.Fatalf("login with the right PIN: %v; status %q, error %q\n%s", err, ui.Text(`#card-status`), ui.Text(`#login-error`), logs.String())
	}
	var rows int
	ui.Eval(`document.querySelectorAll("#rows tr[id^=case-]").length`, &rows)
	if rows == 0 {
		t.Errorf("the seeded inbox shows no open case:\n%s", ui.Text(`main`))
	}
	if err := ui.Run(chromedp.Poll(`document.body.dataset.ws === "open"`, nil, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the inbox's live connection: %v", err)
	}

	at := time.Now()
	tray.Click(`form[action="/remove"] button`)
	ui.WaitVisible(`#lock`)
	t.Logf("card taken out on the reader page → inbox locked after %v", time.Since(at))
	tray.WaitVisible(`form[action="/insert"]`)
	if d.tray.Inserted() != "" {
		t.Error("the reader still holds a card")
	}
	for _, tab := range []*uitest.Tab{tray, ui} {
		if v := tab.CSPViolations(); len(v) > 0 {
			t.Errorf("CSP violations: %q", v)
		}
	}
	if pnrLike.MatchString(logs.String()) {
		t.Error("the demo's log holds something like a personnummer")
	}
}
