package localui_test

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"clinicgw/agent/cases"
	"clinicgw/agent/democlinic"
	"clinicgw/cardauth"
	"clinicgw/cardauth/bridge"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/casetype"
)

// The browser tests drive Debian's Chromium headless through uitest
// (chromedp). CLINICGW_SCREENSHOTS=DIR saves screenshots of the main pages
// there (make screenshots).

// run runs actions in tab and stops the test when they fail.
func run(t *testing.T, tab *uitest.Tab, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := tab.Run(actions...); err != nil {
		var where, text string
		tab.Run(chromedp.Location(&where), chromedp.Evaluate(`document.body.innerText.slice(0, 400)`, &text))
		t.Fatalf("%s: %v (at %s: %q)", what, err, where, text)
	}
}

// shot saves a screenshot named name when CLINICGW_SCREENSHOTS asks for it.
func shot(tab *uitest.Tab, name string) {
	if dir := os.Getenv("CLINICGW_SCREENSHOTS"); dir != "" {
		tab.Screenshot(filepath.Join(dir, name+".png"))
	}
}

// useSession gives tab the session of b, a member of staff logged in over
// HTTP, as the cookie the login page would have set.
func useSession(t *testing.T, tab *uitest.Tab, b *browser) {
	t.Helper()
	run(t, tab, "session cookie", network.SetCookie(sessionCookieName, b.sessionID()).WithURL(b.c.origin+"/").
		WithSecure(true).WithHTTPOnly(true).WithSameSite(network.CookieSameSiteStrict))
}

// softCard is a demo member's card for the bridge: the certificate and
// key from democlinic, PIN 1234, three tries.
type softCard struct {
	card  democlinic.Card
	tries *int
}

type pinError struct{ left int }

func (e pinError) Error() string { return "wrong PIN" }
func (e pinError) Swedish() string {
	return "Fel PIN-kod. Du har " + string(rune('0'+e.left)) + " försök kvar."
}

func (c softCard) AuthCertificate(context.Context) (*x509.Certificate, error) {
	return c.card.Cert, nil
}
func (c softCard) PINPad() bool { return false }
func (c softCard) Close() error { return nil }
func (c softCard) Signer(_ context.Context, pin string) (crypto.Signer, error) {
	if pin != "1234" {
		*c.tries--
		return nil, pinError{*c.tries}
	}
	*c.tries = 3
	return c.card.Key, nil
}

// workstation is the card reader and the card in it, as the bridge sees
// them: the test inserts and pulls the card.
type workstation struct {
	mu      sync.Mutex
	card    *democlinic.Card
	tries   int
	changed chan bool
}

func (w *workstation) Open(context.Context) (bridge.Card, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.card == nil {
		return nil, bridge.ErrNoCard
	}
	return softCard{*w.card, &w.tries}, nil
}

func (w *workstation) Watch(ctx context.Context, fn func(bool)) error {
	w.mu.Lock()
	fn(w.card != nil)
	w.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case p := <-w.changed:
			fn(p)
		}
	}
}

func (w *workstation) insert(c democlinic.Card) {
	w.mu.Lock()
	w.card, w.tries = &c, 3
	w.mu.Unlock()
	w.changed <- true
}

func (w *workstation) pull() {
	w.mu.Lock()
	w.card = nil
	w.mu.Unlock()
	w.changed <- false
}

// startBridge runs the card bridge for the clinic's origin on ln.
func startBridge(t *testing.T, ln net.Listener, origin string, roots *x509.CertPool, ws *workstation) {
	b, err := bridge.New(bridge.Config{Gateway: origin, GatewayTLS: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		Cards: ws, Reader: ws, Heartbeat: 500 * time.Millisecond, AppVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go b.Run(ctx)
	srv := &http.Server{Handler: b.Handler(), ReadHeaderTimeout: 5 * time.Second}
	t.Cleanup(func() { srv.Close() })
	go srv.Serve(ln)
}

// TestBrowserWorkflow: in headless Chromium, the distributor logs in on
// the login page with a card through the bridge (a wrong PIN first), a new
// case appears in the open inbox without a reload, is assigned; in a second
// browser the clinician sees it arrive, opens it and answers with a
// standard answer; payloads in patient text run nothing; pulling the
// distributor's card locks the page; 15 minutes idle locks the clinician's.
func TestBrowserWorkflow(t *testing.T) {
	bln, err := bridge.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := startClinicWith(t, "http://"+bln.Addr().String())
	ws := &workstation{changed: make(chan bool, 4)}
	b := uitest.NewBrowser(t)
	startBridge(t, bln, c.origin, c.dc.PKI.RootPool(), ws)

	// The unit's standard answers, set by the unit administrator.
	admin := c.login(hsaAdmin)
	admin.form("/admin/unit", url.Values{"standardAnswers": {"Recept förnyat\nDitt recept är förnyat och finns på apoteket."}})

	dist := b.NewTab(t)
	dist.Navigate(c.origin + "/login")
	run(t, dist, "no card", chromedp.WaitVisible(`#card-status`), waitText(`#card-status`, "Inget kort"))
	shot(dist, "login")
	ws.insert(c.dc.Cards[hsaDist])
	run(t, dist, "wrong PIN", chromedp.SendKeys(`#pin`, "9999"), chromedp.Click(`#login-submit`),
		chromedp.WaitVisible(`#login-error`), waitText(`#login-error`, "2 försök kvar"))
	run(t, dist, "login", chromedp.SendKeys(`#pin`, "1234"), chromedp.Click(`#login-submit`),
		chromedp.WaitVisible(`#rows`), waitAttr(`body`, "data-ws", "open"))

	clin := b.NewTab(t) // the second browser gets its session from a login in Go
	useSession(t, clin, c.login(hsaClinA))
	run(t, clin, "clinician's list", chromedp.Navigate(c.origin+"/mine"), chromedp.WaitVisible(`#rows`), waitAttr(`body`, "data-ws", "open"))

	cs := c.receive(casetype.RenewPrescription, xssCorpus[0]+" "+xssCorpus[1])
	at := time.Now()
	run(t, dist, "new case without reload", chromedp.WaitVisible(`#case-`+string(cs.ID)))
	t.Logf("new case visible in the open inbox %v after it was stored", time.Since(at))
	shot(dist, "inbox")
	run(t, dist, "assign", chromedp.SetValue(`#distribute-to`, hsaClinA),
		chromedp.Click(`#case-`+string(cs.ID)+` button[formaction$="/assign"]`), chromedp.WaitVisible(`.flash`))
	at = time.Now()
	run(t, clin, "assigned case without reload", chromedp.WaitVisible(`#case-`+string(cs.ID)))
	t.Logf("assigned case visible on the clinician's list %v after the click's answer", time.Since(at))
	run(t, clin, "open case", chromedp.Click(`#case-`+string(cs.ID)+` a`), chromedp.WaitVisible(`#answer-text`))
	shot(clin, "case")
	run(t, clin, "answer", chromedp.SetValue(`#standard`, "Ditt recept är förnyat och finns på apoteket."),
		chromedp.Click(`#standard-insert`), chromedp.Click(`#send`), chromedp.WaitVisible(`.flash`))
	got, err := c.gw.Cases().Get(t.Context(), cases.Actor{Kind: cases.System}, cs.ID)
	if err != nil || got.Status != cases.Answered || !strings.Contains(got.Messages[len(got.Messages)-1].Text, "finns på apoteket") {
		t.Fatalf("after the answer: %v %v", got.Status, err)
	}
	for _, tab := range []*uitest.Tab{dist, clin} {
		if d := tab.Dialogs(); len(d) > 0 {
			t.Errorf("a payload ran: dialogs %q", d)
		}
	}

	// Card pulled: the distributor's page locks.
	at = time.Now()
	ws.pull()
	run(t, dist, "lock on card removal", chromedp.WaitVisible(`#lock`))
	t.Logf("card pulled → page locked after %v", time.Since(at))
	var rows string
	run(t, dist, "nothing left", chromedp.Evaluate(`document.body.innerText`, &rows))
	if strings.Contains(rows, canaryName) {
		t.Error("the locked page still shows the patient")
	}
	shot(dist, "locked")

	// 15 minutes idle: the clinician's page locks.
	c.clock.Advance(cardauth.IdleTimeout)
	c.gw.Login().Sweep()
	run(t, clin, "lock when idle", chromedp.WaitVisible(`#lock`))
}

// waitText waits until the element sel holds want. A page that navigates
// while it polls (a form posted a moment before, Chromium's "Inspected
// target navigated or closed") is polled again on the new page.
func waitText(sel, want string) chromedp.Action {
	poll := chromedp.Poll(`(document.querySelector(`+quoteJS(sel)+`)||{}).textContent.includes(`+quoteJS(want)+`)`, nil,
		chromedp.WithPollingTimeout(10*time.Second))
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for tries := 0; ; tries++ {
			err := poll.Do(ctx)
			// A poll begun in the page a form submit is leaving ends with
			// "navigated or closed", or with its execution context gone.
			if err == nil || tries == 3 || !(strings.Contains(err.Error(), "navigated or closed") ||
				strings.Contains(err.Error(), "Cannot find context with specified id")) {
				return err
			}
		}
	})
}

func waitAttr(sel, attr, want string) chromedp.Action {
	return chromedp.Poll(`(document.querySelector(`+quoteJS(sel)+`)||{dataset:{}}).getAttribute(`+quoteJS(attr)+`) === `+quoteJS(want), nil,
		chromedp.WithPollingTimeout(10*time.Second))
}

func quoteJS(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
