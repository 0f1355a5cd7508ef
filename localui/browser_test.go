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
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"clinicgw/agent/cases"
	"clinicgw/agent/democlinic"
	"clinicgw/cardauth"
	"clinicgw/cardauth/bridge"
)

// The browser tests drive Debian's Chromium (apt package chromium)
// headless through chromedp. They skip when it is missing, unless
// CLINICGW_REQUIRE_BROWSER is set (CI sets it). CLINICGW_SCREENSHOTS=DIR
// saves screenshots of the main pages there (make screenshots).

const chromium = "/usr/bin/chromium"

// newChromium starts a headless Chromium with a fresh profile: one
// person's browser.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CLINICGW_REQUIRE_BROWSER") != "" {
			t.Fatalf("Chromium is required (CLINICGW_REQUIRE_BROWSER) but %s is missing: apt-get install chromium", chromium)
		}
		t.Skipf("no %s (apt-get install chromium): browser tests skipped", chromium)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		// The clinic's UI certificate comes from a throw-away development
		// PKI that this Chromium does not trust.
		chromedp.Flag("ignore-certificate-errors", true),
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	browser, cancelB := chromedp.NewContext(alloc)
	t.Cleanup(cancelB)
	if err := chromedp.Run(browser); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return browser
}

// tab is one person's browser (its own Chromium and profile).
type tab struct {
	t       *testing.T
	ctx     context.Context
	mu      sync.Mutex
	dialogs []string
}

func newTab(t *testing.T) *tab {
	ctx := newChromium(t)
	tb := &tab{t: t, ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			tb.mu.Lock()
			tb.dialogs = append(tb.dialogs, d.Message)
			tb.mu.Unlock()
			go chromedp.Run(ctx, page.HandleJavaScriptDialog(false))
		}
	})
	return tb
}

func (tb *tab) run(what string, actions ...chromedp.Action) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var where, text string
		chromedp.Run(tb.ctx, chromedp.Location(&where), chromedp.Evaluate(`document.body.innerText.slice(0, 400)`, &text))
		tb.t.Fatalf("%s: %v (at %s: %q)", what, err, where, text)
	}
}

func (tb *tab) shot(name string) {
	dir := os.Getenv("CLINICGW_SCREENSHOTS")
	if dir == "" {
		return
	}
	var png []byte
	tb.run("screenshot "+name, chromedp.FullScreenshot(&png, 100))
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.t.Error(err)
	}
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
	startBridge(t, bln, c.origin, c.dc.PKI.RootPool(), ws)

	// The unit's standard answers, set by the unit administrator.
	admin := c.login(hsaAdmin)
	admin.form("/admin/unit", url.Values{"standardAnswers": {"Recept förnyat\nDitt recept är förnyat och finns på apoteket."}})

	dist := newTab(t)
	dist.run("login page", chromedp.Navigate(c.origin+"/login"))
	dist.run("no card", chromedp.WaitVisible(`#card-status`), waitText(`#card-status`, "Inget kort"))
	dist.shot("login")
	ws.insert(c.dc.Cards[hsaDist])
	dist.run("wrong PIN", chromedp.SendKeys(`#pin`, "9999"), chromedp.Click(`#login-submit`),
		chromedp.WaitVisible(`#login-error`), waitText(`#login-error`, "2 försök kvar"))
	dist.run("login", chromedp.SendKeys(`#pin`, "1234"), chromedp.Click(`#login-submit`),
		chromedp.WaitVisible(`#rows`), waitAttr(`body`, "data-ws", "open"))

	clinB := c.login(hsaClinA) // the second browser gets its session from a login in Go
	clin := newTab(t)
	var sid string
	for _, ck := range clinB.http.Jar.Cookies(mustURL(c.origin)) {
		if ck.Name == "__Host-clinicgw-session" {
			sid = ck.Value
		}
	}
	clin.run("clinician's session", network.SetCookie("__Host-clinicgw-session", sid).WithURL(c.origin+"/").
		WithSecure(true).WithHTTPOnly(true).WithSameSite(network.CookieSameSiteStrict),
		chromedp.Navigate(c.origin+"/mine"), chromedp.WaitVisible(`#rows`), waitAttr(`body`, "data-ws", "open"))

	cs := c.receive(cases.RenewPrescription, xssCorpus[0]+" "+xssCorpus[1])
	at := time.Now()
	dist.run("new case without reload", chromedp.WaitVisible(`#case-`+string(cs.ID)))
	t.Logf("new case visible in the open inbox %v after it was stored", time.Since(at))
	dist.shot("inbox")
	dist.run("assign", chromedp.SetValue(`#assign-`+string(cs.ID), hsaClinA),
		chromedp.Click(`#case-`+string(cs.ID)+` form button`), chromedp.WaitVisible(`.flash`))
	at = time.Now()
	clin.run("assigned case without reload", chromedp.WaitVisible(`#case-`+string(cs.ID)))
	t.Logf("assigned case visible on the clinician's list %v after the click's answer", time.Since(at))
	clin.run("open case", chromedp.Click(`#case-`+string(cs.ID)+` a`), chromedp.WaitVisible(`#answer-text`))
	clin.shot("case")
	clin.run("answer", chromedp.SetValue(`#standard`, "Ditt recept är förnyat och finns på apoteket."),
		chromedp.Click(`#standard-insert`), chromedp.Click(`#send`), chromedp.WaitVisible(`.flash`))
	got, err := c.gw.Cases().Get(t.Context(), cases.Actor{Kind: cases.System}, cs.ID)
	if err != nil || got.Status != cases.Answered || !strings.Contains(got.Messages[len(got.Messages)-1].Text, "finns på apoteket") {
		t.Fatalf("after the answer: %v %v", got.Status, err)
	}
	for _, tb := range []*tab{dist, clin} {
		tb.mu.Lock()
		if len(tb.dialogs) > 0 {
			t.Errorf("a payload ran: dialogs %q", tb.dialogs)
		}
		tb.mu.Unlock()
	}

	// Card pulled: the distributor's page locks.
	at = time.Now()
	ws.pull()
	dist.run("lock on card removal", chromedp.WaitVisible(`#lock`))
	t.Logf("card pulled → page locked after %v", time.Since(at))
	var rows string
	dist.run("nothing left", chromedp.Evaluate(`document.getElementById("main").innerText`, &rows))
	if strings.Contains(rows, canaryName) {
		t.Error("the locked page still shows the patient")
	}
	dist.shot("locked")

	// 15 minutes idle: the clinician's page locks.
	c.clock.Advance(cardauth.IdleTimeout)
	c.gw.Login().Sweep()
	clin.run("lock when idle", chromedp.WaitVisible(`#lock`))
}

func waitText(sel, want string) chromedp.Action {
	return chromedp.Poll(`(document.querySelector(`+quoteJS(sel)+`)||{}).textContent.includes(`+quoteJS(want)+`)`, nil,
		chromedp.WithPollingTimeout(10*time.Second))
}

func waitAttr(sel, attr, want string) chromedp.Action {
	return chromedp.Poll(`(document.querySelector(`+quoteJS(sel)+`)||{dataset:{}}).getAttribute(`+quoteJS(attr)+`) === `+quoteJS(want), nil,
		chromedp.WithPollingTimeout(10*time.Second))
}

func quoteJS(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
