package localui_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"clinicgw/cardauth/bridge"
	"clinicgw/cardauth/cardtest"
	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/pcsc"
	"clinicgw/localui/uitest"
	"clinicgw/sync/logtest"
)

// openscModule is Debian's OpenSC PKCS#11 module: it reads the virtual
// PIV card through the private pcscd.
const openscModule = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"

// pivATR is an Oberthur PIV card's ATR from OpenSC's table: with it OpenSC
// 0.23 offers ECDSA, which the demo cards' P-256 keys need (for
// cardtest's default ATR it assumes a card without EC).
var pivATR = []byte{0x3b, 0x86, 0x80, 0x01, 0x80, 0x31, 0xc1, 0x52, 0x41, 0x1a, 0x7e}

// cardPIN is the virtual PIV card's PIN (PIV PINs have 6 to 8 digits).
const cardPIN = "123456"

// skipUnlessRealCards skips t, saying what is missing, when the private
// pcscd, vpcd or OpenSC cannot run here; with CLINICGW_REQUIRE_BROWSER or
// CI=true set it fails instead, since those machines install them.
func skipUnlessRealCards(t *testing.T) {
	t.Helper()
	why := cardtest.Available()
	if why == "" {
		if _, err := os.Stat(openscModule); err != nil {
			why = fmt.Sprintf("OpenSC's PKCS#11 module %s is missing (make deps installs opensc-pkcs11)", openscModule)
		}
	}
	if why == "" && daemon == nil {
		why = "no private pcscd was prepared (TestMain)"
	}
	if why == "" {
		return
	}
	if os.Getenv(uitest.RequireEnv) != "" || os.Getenv("CI") == "true" {
		t.Fatalf("%s (%s or CI is set, so this is no skip)", why, uitest.RequireEnv)
	}
	t.Skip("skipped: " + why)
}

// startPCSCBridge runs the card bridge for origin on ln with the real
// bindings: presence from PC/SC (the private pcscd's virtual reader) and
// the card through OpenSC's PKCS#11 module. It logs to logs.
func startPCSCBridge(t *testing.T, ln net.Listener, origin string, c *clinic, logs *logtest.Buffer) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(logs, nil))
	b, err := bridge.New(bridge.Config{Gateway: origin, GatewayTLS: &tls.Config{RootCAs: c.dc.PKI.RootPool(), MinVersion: tls.VersionTLS12},
		Cards:     bridge.NewTokenCards(openscModule, cardtest.ReaderName, "", log),
		Reader:    bridge.PCSCReader{Monitor: pcsc.New(pcsc.Options{Logger: log}), Name: cardtest.ReaderName},
		Heartbeat: 500 * time.Millisecond, AppVersion: "test", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	srv := &http.Server{Handler: b.Handler(), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan struct{})
	go func() { defer close(served); srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		<-served
		cancel()
		if err := <-done; err != nil {
			t.Errorf("bridge: %v", err)
		}
	})
}

// TestBrowserCardRemovalPCSC: the login and the lock of TestBrowserWorkflow
// with the real chain in place of the fake reader: a private pcscd with
// the vpcd virtual reader, a virtual PIV card carrying the distributor's
// demo certificate and key (from the clinic's PKI), and the bridge on
// PC/SC and OpenSC's PKCS#11 module. Without pcscd the login page says
// there is no reader; with it, that there is no card; the distributor logs
// in with the PIN in Chromium, opens a new message to a patient and types
// in it, and pulling the card through vpcd locks the page (nothing but the
// lock screen left) within a second plus pcscd's polling of vpcd (~400 ms).
func TestBrowserCardRemovalPCSC(t *testing.T) {
	skipUnlessRealCards(t)
	bln, err := bridge.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := startClinicWith(t, "http://"+bln.Addr().String())
	b := uitest.NewBrowser(t)
	logs := &logtest.Buffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bridge log:\n%s", logs.String())
			t.Logf("pcscd log:\n%s", daemon.Logs())
		}
	})
	startPCSCBridge(t, bln, c.origin, c, logs)

	tab := b.NewTab(t)
	tab.Navigate(c.origin + "/login")
	// No pcscd: PC/SC has no reader to show.
	run(t, tab, "no reader", chromedp.WaitVisible(`#card-status`), waitText(`#card-status`, "Ingen kortläsare hittades"))
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(daemon.Stop) // before the bridge's cleanup: its monitor sees pcscd go and retries
	run(t, tab, "reader, no card", waitText(`#card-status`, "Inget kort"))

	card := c.dc.Cards[hsaDist]
	sc, sk, err := c.dc.PKI.PersonSigning(hsaDist, "Maja", "Mottagare", devpki.KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	piv := cardtest.NewPIV(cardtest.Slot{Cert: card.Cert, Key: card.Key}, cardtest.Slot{Cert: sc, Key: sk}, cardPIN)
	vc, err := cardtest.Insert(daemon.Port, pivATR, piv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vc.Remove)
	// The bridge's monitor reconnects to pcscd (backoff up to 5 s), pcscd
	// polls vpcd, the page polls the bridge every 2 s.
	run(t, tab, "card inserted", chromedp.Poll(`document.getElementById("card-status").textContent.includes("Kortet är isatt")`, nil,
		chromedp.WithPollingTimeout(15*time.Second)))
	if strings.Contains(logs.String(), "card inserted but not readable") {
		t.Fatalf("the bridge could not read the virtual card through OpenSC:\n%s", logs.String())
	}
	run(t, tab, "login with the PIN", chromedp.SendKeys(`#pin`, cardPIN), chromedp.Click(`#login-submit`),
		chromedp.WaitVisible(`#rows`), waitAttr(`body`, "data-ws", "open"))
	if piv.Retries() != cardtest.PINRetries {
		t.Errorf("PIN tries left on the card %d, want %d", piv.Retries(), cardtest.PINRetries)
	}

	// A page without live data, with a message to a patient being typed.
	run(t, tab, "new message", chromedp.Navigate(c.origin+"/cases/new"), chromedp.SendKeys(`#text`, draftCanary, chromedp.ByQuery))
	if !armed(tab) {
		t.Fatal("/cases/new has no live connection")
	}

	at := time.Now()
	vc.Remove()
	limit := time.Second + 400*time.Millisecond // 1 s plus pcscd's polling of vpcd
	took, st, ok := waitLocked(tab, at, 10*time.Second, []string{draftCanary, staffName(hsaDist)})
	t.Logf("virtual card pulled through vpcd → page locked after %v", took.Round(time.Millisecond))
	if !ok {
		t.Fatalf("the page is not locked %v after the pull: lock screen %v, shows %q", took, st.Locked, st.showing([]string{draftCanary, staffName(hsaDist)}))
	}
	if took > limit {
		t.Errorf("the page locked %v after the pull, want within %v (1 s plus pcscd's polling)", took, limit)
	}
	if strings.Contains(logs.String(), cardPIN) {
		t.Error("the PIN reached the bridge's log")
	}
}
