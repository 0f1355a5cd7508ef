package uitest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Chromium is the browser the tests drive: Debian's apt package chromium.
const Chromium = "/usr/bin/chromium"

// RequireEnv names the environment variable that turns the skips for a
// missing Chromium or npm into failures. CI sets it.
const RequireEnv = "CLINICGW_REQUIRE_BROWSER"

// DefaultTimeout is how long one Tab call may take before it fails.
const DefaultTimeout = 20 * time.Second

// Browser is one headless Chromium process. Its tabs are isolated from
// each other.
type Browser struct {
	ctx context.Context // the chromedp context of the browser's first target
}

// unavailable skips the test, saying why, or fails it when RequireEnv is
// set.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(RequireEnv) != "" {
		t.Fatalf("%s (%s is set, so this is no skip)", msg, RequireEnv)
	}
	t.Skip("skipped: " + msg)
}

// NewBrowser starts a headless Chromium with a fresh profile under
// t.TempDir and stops it when the test ends. It skips the test when
// Chromium is not installed, unless CLINICGW_REQUIRE_BROWSER is set.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		unavailable(t, "no %s (apt-get install chromium, or run .ci/deps)", Chromium)
	}
	profile := t.TempDir() // removed after Chromium has exited: cleanups run last-in, first-out
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		// The servers under test present certificates from a throw-away
		// development CA (or httptest's), which this profile does not
		// trust, and there is no supported way to add a CA to one
		// headless profile. The tests only ever talk to their own
		// loopback servers.
		chromedp.Flag("ignore-certificate-errors", true),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		// Close Chromium gracefully, so that no process of it still
		// writes to the profile when t.TempDir removes it; a kill
		// (cancel) leaves its helper processes running for a while.
		tctx, tcancel := context.WithTimeout(ctx, 10*time.Second)
		defer tcancel()
		chromedp.Cancel(tctx) // failing, cancel below kills it
		cancel()
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start %s: %v", Chromium, err)
	}
	return &Browser{ctx: ctx}
}

// NewTab opens a tab in a new browser context: it shares no cookies,
// storage or cache with the browser's other tabs, like a second person's
// browser. The tab is closed when the test ends. Its methods other than
// Run fail t when an action fails.
func (b *Browser) NewTab(t testing.TB) *Tab {
	t.Helper()
	// chromedp.WithNewBrowserContext asks for a tab without a window,
	// which headless Chromium refuses ("no browser is open") when the
	// browser context has none yet; so open it in a new window here.
	browser := cdp.WithExecutor(b.ctx, chromedp.FromContext(b.ctx).Browser)
	bcID, err := target.CreateBrowserContext().WithDisposeOnDetach(true).Do(browser)
	if err != nil {
		t.Fatalf("open tab: new browser context: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(browser, 5*time.Second)
		defer cancel()
		target.DisposeBrowserContext(bcID).Do(ctx) // fails only if the browser is gone, and its contexts with it
	})
	return b.openTab(t, bcID)
}

// SecondTab opens another tab in tab's browser context: it shares tab's
// cookies and storage, like a second tab of the same person's browser.
// It opens in a window of its own, so that neither tab is a hidden
// background tab, whose timers Chromium slows to one a second. It is
// closed when the test ends.
func (b *Browser) SecondTab(t testing.TB, tab *Tab) *Tab {
	t.Helper()
	return b.openTab(t, tab.bcID)
}

// openTab opens a tab in a new window in browser context bcID.
func (b *Browser) openTab(t testing.TB, bcID cdp.BrowserContextID) *Tab {
	t.Helper()
	browser := cdp.WithExecutor(b.ctx, chromedp.FromContext(b.ctx).Browser)
	id, err := target.CreateTarget("about:blank").WithBrowserContextID(bcID).WithNewWindow(true).Do(browser)
	if err != nil {
		t.Fatalf("open tab: %v", err)
	}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(id))
	t.Cleanup(cancel)
	tab := &Tab{t: t, ctx: ctx, bcID: bcID, Timeout: DefaultTimeout}
	chromedp.ListenTarget(ctx, tab.event)
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("open tab: attach: %v", err)
	}
	return tab
}

// event records what the page reports. It runs on chromedp's event loop
// and must not block it.
func (tab *Tab) event(ev any) {
	switch ev := ev.(type) {
	case *page.EventJavascriptDialogOpening:
		tab.record(&tab.dialogs, ev.Message)
		// Dismiss it, or the page (and every later action) hangs.
		go chromedp.Run(tab.ctx, page.HandleJavaScriptDialog(false))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeAssert {
			tab.record(&tab.console, consoleText(ev.Args))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg = d.Text + " " + d.Exception.Description
		}
		tab.record(&tab.console, msg)
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level != log.LevelError {
			return
		}
		msg := e.Text
		if e.URL != "" {
			msg += " (" + e.URL + ")"
		}
		tab.record(&tab.console, msg)
		if e.Source == log.SourceSecurity {
			tab.record(&tab.csp, e.Text)
		}
	}
}
