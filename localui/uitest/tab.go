package uitest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Tab is one page in its own browser context. Selectors are CSS
// selectors (document.querySelector); actions on a selector use its first
// match and wait for it as chromedp does (Click, Text and SendKeys wait
// until it is visible). Every call fails after Timeout.
//
// The methods other than Run call t.Fatal, so call them from the test's
// goroutine.
type Tab struct {
	// Timeout bounds each call; NewTab sets DefaultTimeout.
	Timeout time.Duration

	t    testing.TB
	ctx  context.Context
	bcID cdp.BrowserContextID // its browser context

	mu      sync.Mutex
	console []string
	dialogs []string
	csp     []string
}

// Run runs chromedp actions in the tab, within Timeout.
func (tab *Tab) Run(actions ...chromedp.Action) error {
	ctx, cancel := context.WithTimeout(tab.ctx, tab.Timeout)
	defer cancel()
	return chromedp.Run(ctx, actions...)
}

// must runs actions and fails the test, saying where the page was, when
// they fail.
func (tab *Tab) must(what string, actions ...chromedp.Action) {
	tab.t.Helper()
	if err := tab.Run(actions...); err != nil {
		var where string
		ctx, cancel := context.WithTimeout(tab.ctx, time.Second)
		defer cancel()
		chromedp.Run(ctx, chromedp.Location(&where))
		tab.t.Fatalf("%s: %v (page %s)", what, err, where)
	}
}

// Navigate loads url and waits for its load event.
func (tab *Tab) Navigate(url string) {
	tab.t.Helper()
	tab.must("navigate to "+url, chromedp.Navigate(url))
}

// Text returns the visible text (innerText) of the first element matching
// sel, waiting until it is visible.
func (tab *Tab) Text(sel string) string {
	tab.t.Helper()
	var s string
	tab.must("text of "+sel, chromedp.Text(sel, &s, chromedp.ByQuery))
	return s
}

// WaitVisible waits until the first element matching sel is visible.
func (tab *Tab) WaitVisible(sel string) {
	tab.t.Helper()
	tab.must("wait for "+sel+" visible", chromedp.WaitVisible(sel, chromedp.ByQuery))
}

// goneJS is true when no element matching the selector (its argument) is
// rendered; the visibility test is chromedp's.
const goneJS = `(sel) => Array.from(document.querySelectorAll(sel)).every(
	(e) => !(e.offsetWidth || e.offsetHeight || e.getClientRects().length))`

// WaitGone waits until no element matching sel is visible: all are hidden
// or there are none. It keeps waiting across navigations.
func (tab *Tab) WaitGone(sel string) {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, tab.Timeout)
	defer cancel()
	for {
		// A poll does not survive a navigation; poll again in the new page.
		err := chromedp.Run(ctx, chromedp.PollFunction(goneJS, nil,
			chromedp.WithPollingArgs(sel),
			chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(0)))
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			tab.t.Fatalf("wait for %s gone: %v (last: %v)", sel, ctx.Err(), err)
		}
	}
}

// Click clicks the first element matching sel once it is visible.
func (tab *Tab) Click(sel string) {
	tab.t.Helper()
	tab.must("click "+sel, chromedp.Click(sel, chromedp.ByQuery))
}

// SetValue sets the value property of the first element matching sel,
// without key or input events.
func (tab *Tab) SetValue(sel, value string) {
	tab.t.Helper()
	tab.must("set value of "+sel, chromedp.SetValue(sel, value, chromedp.ByQuery))
}

// SendKeys focuses the first element matching sel and types text into it,
// key by key, as a person would.
func (tab *Tab) SendKeys(sel, text string) {
	tab.t.Helper()
	tab.must("type into "+sel, chromedp.SendKeys(sel, text, chromedp.ByQuery))
}

// Screenshot saves a PNG of the whole page (beyond the 1280×900 window) to
// path, creating its directory.
func (tab *Tab) Screenshot(path string) {
	tab.t.Helper()
	var png []byte
	tab.must("screenshot", chromedp.FullScreenshot(&png, 100)) // quality 100 means PNG
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tab.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tab.t.Fatalf("screenshot: %v", err)
	}
}

// awaitPromise makes an evaluation wait for the promise the expression
// returns, if it returns one.
func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams {
	return p.WithAwaitPromise(true)
}

// Eval evaluates the JavaScript expression js in the page through the
// DevTools protocol (the page's CSP does not apply to js itself), awaits
// it if it is a promise and stores its JSON value in out, as
// chromedp.Evaluate does; out may be nil. A thrown exception fails the test.
func (tab *Tab) Eval(js string, out any) {
	tab.t.Helper()
	if out == nil {
		// By reference: a result that is not JSON is no error then.
		var obj *runtime.RemoteObject
		out = &obj
	}
	tab.must("evaluate", chromedp.Evaluate(js, out, awaitPromise))
}

// ConsoleErrors returns, oldest first, the errors the pages in this tab
// reported: console.error and console.assert failures, uncaught
// exceptions, and the browser's own error messages (failed loads, CSP
// violations).
func (tab *Tab) ConsoleErrors() []string { return tab.recorded(&tab.console) }

// Dialogs returns the messages of the alert, confirm, prompt and
// beforeunload dialogs pages in this tab opened, oldest first. Every
// dialog is dismissed at once (confirm returns false, prompt null), so
// pages never hang on one.
func (tab *Tab) Dialogs() []string { return tab.recorded(&tab.dialogs) }

// CSPViolations returns the browser's messages about resources, inline
// scripts and styles that a Content Security Policy blocked, oldest first.
func (tab *Tab) CSPViolations() []string { return tab.recorded(&tab.csp) }

func (tab *Tab) record(list *[]string, msg string) {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	*list = append(*list, msg)
}

func (tab *Tab) recorded(list *[]string) []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), *list...)
}

// consoleText formats console.error's arguments as the console shows them.
func consoleText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var s string
		switch {
		case a.Type == runtime.TypeString && json.Unmarshal(a.Value, &s) == nil:
			parts = append(parts, s)
		case a.Description != "":
			parts = append(parts, a.Description)
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		default:
			parts = append(parts, fmt.Sprint(a.Type))
		}
	}
	return strings.Join(parts, " ")
}
