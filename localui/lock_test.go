package localui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"clinicgw/agent/cases"
	"clinicgw/agent/democlinic"
	"clinicgw/cardauth"
	"clinicgw/cardauth/bridge"
	"clinicgw/localui"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// The lock: when a session ends, every page it shows loses its content
// (the DOM keeps only the lock screen, "Logga in igen") within a second,
// whatever the page and whatever ended the session. These tests walk the
// UI's own route table, so a page added to it is tested without anyone
// adding it here; a GET route with no way to visit it fails the walk.

// Canaries typed into the pages' forms: a draft must not survive the lock.
const (
	draftCanary   = "KANARIE-UTKAST skrivs just nu"
	subjectCanary = "KANARIE-ÄMNE"
	answerCanary  = "KANARIE-SVAR till patienten"
	sigCanary     = "KANARIE-SIGNATUR"
	unitCanary    = "KANARIE-STANDARDSVAR"
	formCanary    = "KANARIE-FORMULÄR"
	contactCanary = "KANARIE-KONTAKT"
	statsCanary   = "2026-11-01"
)

// visitKind says what a GET route answers and so what the walk checks.
type visitKind int

const (
	// kindPage: an HTML page rendered for the session: it must show the
	// session (the staff member's name) and lock when the session ends.
	kindPage visitKind = iota
	// kindDownload: a file for the session (an attachment, not a page):
	// fetched from a page of the session, refused after the session ends.
	kindDownload
	// kindPublic: served without a session (login page, static files, the
	// websocket's address): visited with a live session, it must show
	// nothing of it.
	kindPublic
)

// lockWorld is what the walk's visits need from the seeded clinic.
type lockWorld struct {
	caseID cases.ID // assigned to hsaClinA, patient canaryName
	pnr    string   // its patient's personnummer
	newPNR string   // a synthetic personnummer typed into /cases/new
}

// lockVisit is how the walk visits one GET route.
type lockVisit struct {
	kind visitKind
	who  string // whose card logs in
	path func(w lockWorld) string
	// prepare types into the page what must not survive the lock; the
	// page may submit a form (the access log's extract is a POST's page).
	prepare func(t *testing.T, tab *uitest.Tab, w lockWorld)
	// canaries are shown before the lock (besides the staff member's
	// name) and must be gone after it.
	canaries func(w lockWorld) []string
}

func fixed(p string) func(lockWorld) string { return func(lockWorld) string { return p } }

func typeInto(sel, text string) func(*testing.T, *uitest.Tab, lockWorld) {
	return func(t *testing.T, tab *uitest.Tab, _ lockWorld) {
		run(t, tab, "type into "+sel, chromedp.SendKeys(sel, text, chromedp.ByQuery))
	}
}

func words(s ...string) func(lockWorld) []string { return func(lockWorld) []string { return s } }

// lockVisits says, for each GET pattern of the route table, how to visit
// it: as whom, at which address (a real case id from the seeded clinic
// where the pattern has one), and what to type.
var lockVisits = map[string]lockVisit{
	"GET /static/": {kind: kindPublic, who: hsaDist, path: fixed("/static/app.js")},
	"GET /login":   {kind: kindPublic, who: hsaDist, path: fixed("/login")},
	"GET /ws":      {kind: kindPublic, who: hsaDist, path: fixed("/ws")},
	"GET /{$}":     {who: hsaDist, path: fixed("/"), canaries: words(canaryName)},
	"GET /inbox":   {who: hsaDist, path: fixed("/inbox"), canaries: words(canaryName)},
	"GET /mine":    {who: hsaClinA, path: fixed("/mine"), canaries: words(canaryName)},
	"GET /cases/new": {who: hsaClinA, path: fixed("/cases/new"),
		prepare: func(t *testing.T, tab *uitest.Tab, w lockWorld) {
			run(t, tab, "draft", chromedp.SendKeys(`#pnr`, w.newPNR, chromedp.ByQuery),
				chromedp.SendKeys(`#subject`, subjectCanary, chromedp.ByQuery), chromedp.SendKeys(`#text`, draftCanary, chromedp.ByQuery))
		},
		canaries: func(w lockWorld) []string { return []string{w.newPNR, subjectCanary, draftCanary} }},
	"GET /cases/{id}": {who: hsaClinA, path: func(w lockWorld) string { return "/cases/" + string(w.caseID) },
		prepare: typeInto(`#answer-text`, answerCanary), canaries: words(canaryName, canaryText, answerCanary)},
	"GET /cases/{id}/{action}": {who: hsaDist, path: func(w lockWorld) string { return "/cases/" + string(w.caseID) + "/assign" }},
	"GET /settings":            {who: hsaClinA, path: fixed("/settings"), prepare: typeInto(`#signature`, sigCanary), canaries: words(sigCanary)},
	"GET /admin/unit":          {who: hsaAdmin, path: fixed("/admin/unit"), prepare: typeInto(`#standardAnswers`, unitCanary), canaries: words(unitCanary)},
	"GET /admin/stats": {who: hsaAdmin, path: fixed("/admin/stats?from=" + statsCanary + "&to=2026-11-30"),
		canaries: words(statsCanary)},
	"GET /admin/stats.csv": {kind: kindDownload, who: hsaAdmin, path: fixed("/admin/stats.csv")},
	"GET /admin/contact": {who: hsaAdmin, path: fixed("/admin/contact"), prepare: typeInto(`#textSv`, contactCanary),
		canaries: words(contactCanary)},
	"GET /admin/services":        {who: hsaAdmin, path: fixed("/admin/services")},
	"GET /admin/services/export": {kind: kindDownload, who: hsaAdmin, path: fixed("/admin/services/export")},
	"GET /admin/forms":           {who: hsaAdmin, path: fixed("/admin/forms")},
	"GET /admin/forms/export":    {kind: kindDownload, who: hsaAdmin, path: fixed("/admin/forms/export")},
	"GET /admin/forms/{id}": {who: hsaAdmin, path: fixed("/admin/forms/book-appointment"),
		prepare: typeInto(`#titleSv`, formCanary), canaries: words(formCanary)},
	"GET /audit": {who: hsaAudit, path: fixed("/audit"),
		prepare: func(t *testing.T, tab *uitest.Tab, w lockWorld) {
			run(t, tab, "patient extract", chromedp.SendKeys(`#q-pnr`, w.pnr, chromedp.ByQuery),
				chromedp.Submit(`#q-pnr`, chromedp.ByQuery), chromedp.WaitVisible(`#records`, chromedp.ByQuery))
		},
		canaries: func(w lockWorld) []string { return []string{w.pnr} }},
	"GET /": {who: hsaDist, path: fixed("/finns-inte")},
	// Staff groups (the walk's clinic has them: groups_test.go).
	"GET /queue":         {who: hsaClinA, path: fixed("/queue")},
	"GET /queue/{group}": {who: hsaClinA, path: fixed("/queue/" + groupOT), canaries: words(canaryName)},
	"GET /admin/groups": {who: hsaAdmin, path: fixed("/admin/groups"), prepare: typeInto(`#new-name`, "GRUPPKANARIE"),
		canaries: words("GRUPPKANARIE")},
	// The booking diary (diary_test.go's setDiary; the case's patient
	// booked at 08:00 on the Tuesday): the booked patient and a
	// personnummer typed for a phone booking must go.
	"GET /diary": {who: hsaClinA, path: fixed("/diary?view=day&date=2026-11-24"),
		prepare: func(t *testing.T, tab *uitest.Tab, w lockWorld) {
			run(t, tab, "a phone booking typed", chromedp.SendKeys(`#pnr-`+diarySlot("2026-11-24", "08:30", hsaClinA), w.newPNR, chromedp.ByID))
		},
		canaries: func(w lockWorld) []string { return []string{w.pnr[:8] + "-" + w.pnr[8:], w.newPNR} }},
	"GET /admin/diary": {who: hsaAdmin, path: fixed("/admin/diary"), prepare: typeInto(`#ty-staff`, "TIDKANARIE"),
		canaries: words("TIDKANARIE")},
	"GET /diary/case/{id}":       {who: hsaClinA, path: func(w lockWorld) string { return "/diary/case/" + string(w.caseID) }},
	"GET /admin/diary/stats":     {who: hsaAdmin, path: fixed("/admin/diary/stats?from=2026-11&to=2026-11")},
	"GET /admin/diary/stats.csv": {kind: kindDownload, who: hsaAdmin, path: fixed("/admin/diary/stats.csv")},
}

// getPatterns are the GET patterns of the UI's route table, and a mux
// with them that tells which one an address reaches.
func getPatterns(t *testing.T) ([]string, *http.ServeMux) {
	t.Helper()
	mux := http.NewServeMux()
	var out []string
	for _, p := range localui.RoutePatterns() {
		if strings.HasPrefix(p, "GET ") {
			out = append(out, p)
			mux.HandleFunc(p, func(http.ResponseWriter, *http.Request) {})
		}
	}
	return out, mux
}

// TestLockWalkCoversRouteTable: every GET route of the table has a visit,
// each visit reaches its own route, and no visit is for a route the table
// no longer has. Runs without a browser.
func TestLockWalkCoversRouteTable(t *testing.T) {
	checkLockVisits(t, lockWorld{caseID: "01kjprzb00dbk7gftfqqmhpvnr"})
}

func checkLockVisits(t *testing.T, w lockWorld) []string {
	t.Helper()
	patterns, mux := getPatterns(t)
	for _, p := range patterns {
		v, ok := lockVisits[p]
		if !ok {
			t.Errorf("route %q has no way to be visited: add it to lockVisits (who opens it, at which address, what to type)", p)
			continue
		}
		_, got := mux.Handler(httptest.NewRequest(http.MethodGet, v.path(w), nil))
		if got != p {
			t.Errorf("the visit of %q goes to %s, which reaches %q", p, v.path(w), got)
		}
	}
	for p := range lockVisits {
		if !slices.Contains(patterns, p) {
			t.Errorf("lockVisits has %q, which the route table does not have", p)
		}
	}
	return patterns
}

// pageState is what a tab shows, as the lock checks see it.
type pageState struct {
	Path   string   `json:"path"`
	Locked bool     `json:"locked"` // the lock screen shows, with its "log in again"
	Text   string   `json:"text"`   // the body's text outside the lock screen
	Values []string `json:"values"` // the values of form fields outside it
	Blank  bool     `json:"blank"`  // no text and no value outside the lock screen
	// LockLink is the lock screen's link to the login page.
	LockLink string `json:"lockLink"`
	WS       string `json:"ws"`
}

// pageStateFn is a JavaScript function of the secrets that tells what
// the page shows (pageState, and which secrets it shows).
const pageStateFn = `((secret) => {
	const lock = document.getElementById("lock");
	const link = document.getElementById("lock-login");
	const out = {path: location.pathname, locked: false, text: "", values: [], showing: [], ws: document.body ? (document.body.dataset.ws || "") : ""};
	if (!document.body) return out;
	out.locked = !!(lock && !lock.hidden && link && link.offsetParent !== null && document.body.dataset.locked === "1");
	out.lockLink = link ? link.textContent.trim() : "";
	for (const el of document.body.children) {
		if (el === lock) continue;
		out.text += (el.innerText || el.textContent || "") + "\n";
	}
	for (const el of document.querySelectorAll("input, textarea, select")) {
		if (lock && lock.contains(el)) continue;
		if (el.type === "hidden" || el.type === "submit" || el.type === "checkbox" || el.type === "radio") continue;
		if (el.value) out.values.push(el.value);
	}
	out.blank = out.text.trim() === "" && out.values.length === 0;
	out.showing = secret.filter((w) => w && (out.text.includes(w) || out.values.some((v) => v.includes(w))));
	return out;
})`

// lockedFn is true when the page shows the lock screen and nothing else,
// none of the secrets (its argument) included.
const lockedFn = `(secret) => { const st = ` + pageStateFn + `(secret); return st.locked && st.blank && st.showing.length === 0; }`

// goneFn is true when the page shows nothing of a session: the lock
// screen and nothing else, or the login page; and none of the secrets.
const goneFn = `(secret) => { const st = ` + pageStateFn + `(secret); return st.showing.length === 0 && ((st.locked && st.blank) || st.path === "/login"); }`

func stateOf(tab *uitest.Tab) (pageState, error) {
	var st pageState
	err := tab.Run(chromedp.Evaluate(pageStateFn+`([])`, &st))
	return st, err
}

// showing reports which of words the state shows, in its text or its
// form fields.
func (st pageState) showing(words []string) []string {
	var out []string
	for _, w := range words {
		if w == "" {
			continue
		}
		if strings.Contains(st.Text, w) || slices.ContainsFunc(st.Values, func(v string) bool { return strings.Contains(v, w) }) {
			out = append(out, w)
		}
	}
	return out
}

// waitLocked waits until tab shows the lock screen and nothing else, none
// of secret included, or within has passed; it returns how long it took
// from since and the state then.
func waitLocked(tab *uitest.Tab, since time.Time, within time.Duration, secret []string) (time.Duration, pageState, bool) {
	err := tab.Run(chromedp.PollFunction(lockedFn, nil, chromedp.WithPollingArgs(secret),
		chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(within)))
	took := time.Since(since)
	st, _ := stateOf(tab)
	return took, st, err == nil && st.LockLink == "Logga in igen"
}

// cardDesk is one workstation: the card bridge on a reader the test puts
// cards into and pulls them from, and the demo clinic.
type cardDesk struct {
	c    *clinic
	ws   *workstation
	seen chan bool // what the bridge was told about the card, in order
}

// seenReader is the workstation's reader, which says what it told the
// bridge once the bridge has taken it in.
type seenReader struct {
	*workstation
	seen chan<- bool
}

func (r seenReader) Watch(ctx context.Context, fn func(bool)) error {
	return r.workstation.Watch(ctx, func(present bool) {
		fn(present)
		r.seen <- present
	})
}

func newCardDesk(t *testing.T) *cardDesk {
	bln, err := bridge.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := startClinicWith(t, "http://"+bln.Addr().String())
	d := &cardDesk{c: c, ws: &workstation{changed: make(chan bool, 4)}, seen: make(chan bool, 8)}
	br, err := bridge.New(bridge.Config{Gateway: c.origin, GatewayTLS: c.tls.Clone(),
		Cards: d.ws, Reader: seenReader{d.ws, d.seen}, Heartbeat: 500 * time.Millisecond, AppVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- br.Run(ctx) }()
	srv := &http.Server{Handler: br.Handler(), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan struct{})
	go func() { defer close(served); srv.Serve(bln) }()
	t.Cleanup(func() {
		srv.Close()
		<-served
		cancel()
		<-done
	})
	return d
}

// bridgeSees waits until the bridge has taken in that the card is present
// or not.
func (d *cardDesk) bridgeSees(t *testing.T, present bool) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case p := <-d.seen:
			if p == present {
				return
			}
		case <-timeout:
			t.Fatalf("the bridge never saw the card present=%v", present)
		}
	}
}

// login puts hsaID's card in the reader and logs in on the login page
// with its PIN, as at the workstation.
func (d *cardDesk) login(t *testing.T, tab *uitest.Tab, hsaID string) {
	t.Helper()
	d.ws.insert(d.c.dc.Cards[hsaID])
	d.bridgeSees(t, true)
	run(t, tab, "login page for "+hsaID, chromedp.Navigate(d.c.origin+"/login"))
	// The page that was open may still be going somewhere of its own (a
	// locked page checks its session): a plain poll fails with "Cannot find
	// context" when its page goes, so wait across navigations.
	if !pollAcross(tab, `() => location.pathname === "/login" && (document.querySelector("#card-status")||{}).textContent.includes("Kortet är isatt")`, nil, 10*time.Second) {
		t.Fatalf("login %s: the login page never saw the card", hsaID)
	}
	run(t, tab, "login "+hsaID, chromedp.SendKeys(`#pin`, "1234", chromedp.ByQuery), chromedp.Click(`#login-submit`, chromedp.ByQuery))
	// The page goes on to the member's first page.
	if !pollAcross(tab, `() => location.pathname !== "/login" && document.readyState === "complete"`, nil, 10*time.Second) {
		t.Fatalf("login %s: still on the login page", hsaID)
	}
}

// pull takes the card out of the reader.
func (d *cardDesk) pull(t *testing.T) {
	t.Helper()
	d.ws.pull()
}

// staffName is the demo member's name as the pages show it.
func staffName(hsaID string) string {
	for _, m := range democlinic.Staff {
		if m.HSAID == hsaID {
			return m.Name()
		}
	}
	return hsaID
}

// armed waits until the page's live connection is open, as it is a
// moment after every page of a session loads; a page without one says so
// and the lock check that follows fails on it.
func armed(tab *uitest.Tab) bool {
	return tab.Run(chromedp.Poll(`document.readyState === "complete" && document.body.dataset.ws === "open"`, nil,
		chromedp.WithPollingTimeout(3*time.Second))) == nil
}

// TestBrowserLockEveryPage walks every GET route of the UI's route table
// in one Chromium at one workstation with the card bridge: for each, the
// member of staff who may open it puts in their card and logs in with
// the PIN, opens the page and types what must not survive (a
// personnummer, a draft), and pulls the card. Within a second the page
// must hold nothing but the lock screen ("Logga in igen"): no text, no
// typed value. Going back in the tab's history must not show the page
// left before the card was pulled either. Downloads are refused once the
// session has ended; public addresses show nothing of the session.
func TestBrowserLockEveryPage(t *testing.T) {
	d := newCardDesk(t)
	c := d.c
	cs := c.receive(casetype.RenewPrescription, canaryText)
	if r, body := c.login(hsaDist).form("/cases/"+string(cs.ID)+"/assign", url.Values{"assignee": {hsaClinA}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign: %d %s", r.StatusCode, body)
	}
	c.setGroups()
	c.receiveInto(groupOT, casetype.ContactMe, "Ring mig.") // for the queue's page
	c.setDiary(c.login(hsaAdmin))                           // for the diary's page
	if r, body := c.login(hsaDist).form("/diary/book", url.Values{"slot": {diarySlot("2026-11-24", "08:00", hsaClinA)}, "pnr": {string(cs.Patient.PNR)}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("book: %d %.300s", r.StatusCode, body)
	}
	w := lockWorld{caseID: cs.ID, pnr: string(cs.Patient.PNR),
		newPNR: string(personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 987))}
	patterns := checkLockVisits(t, w)
	if t.Failed() {
		t.FailNow()
	}

	b := uitest.NewBrowser(t)
	tab := b.NewTab(t)
	start := time.Now()
	var visible []string
	for _, p := range patterns {
		v := lockVisits[p]
		path := v.path(w)
		name := staffName(v.who)
		var secret []string
		if v.canaries != nil {
			secret = v.canaries(w)
		}
		d.login(t, tab, v.who)
		var landing pageState
		landing, _ = stateOf(tab)
		switch v.kind {
		case kindPublic:
			run(t, tab, p, chromedp.Navigate(c.origin+path))
			st, _ := stateOf(tab)
			if shown := st.showing([]string{name, canaryName}); len(shown) > 0 {
				t.Errorf("%s (%s), public, shows the session's %q", p, path, shown)
			}
			d.pull(t)
			d.bridgeSees(t, false)
			continue
		case kindDownload:
			var before, after struct {
				Status      int    `json:"status"`
				Type        string `json:"type"`
				Disposition string `json:"disposition"`
				URL         string `json:"url"`
			}
			const fetchJS = `fetch(%q, {credentials: "same-origin"}).then(r => ({status: r.status, type: r.headers.get("Content-Type") || "",
				disposition: r.headers.get("Content-Disposition") || "", url: new URL(r.url).pathname}))`
			run(t, tab, p+" before", chromedp.Evaluate(fmt.Sprintf(fetchJS, path), &before, awaitPromise))
			if before.Status != http.StatusOK || !strings.HasPrefix(before.Disposition, "attachment") || strings.Contains(before.Type, "html") {
				t.Errorf("%s (%s): a download should be an attachment: %+v", p, path, before)
			}
			d.pull(t)
			took, st, ok := waitLocked(tab, time.Now(), time.Second, []string{name})
			if !ok {
				t.Errorf("%s: the page it was fetched from (%s) not locked %v after the pull: %.200q", p, landing.Path, took, st.Text)
			}
			run(t, tab, p+" after", chromedp.Evaluate(fmt.Sprintf(fetchJS, path), &after, awaitPromise))
			if after.URL != "/login" && after.Status != http.StatusUnauthorized {
				t.Errorf("%s (%s) after the session ended: %+v, want the login page or 401", p, path, after)
			}
			continue
		case kindPage:
			// the page walk below
		}

		run(t, tab, p, chromedp.Navigate(c.origin+path))
		if v.prepare != nil {
			v.prepare(t, tab, w)
		}
		live := armed(tab)
		before, err := stateOf(tab)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if shown := before.showing(append([]string{name}, secret...)); len(shown) != len(secret)+1 {
			t.Errorf("%s (%s) as %s is not rendered for the session (shows %q of %q): %.300q", p, path, v.who, shown, append([]string{name}, secret...), before.Text)
			d.pull(t)
			d.bridgeSees(t, false)
			continue
		}
		secret = append(secret, name)
		at := time.Now()
		d.pull(t)
		took, st, ok := waitLocked(tab, at, time.Second, secret)
		if !ok {
			visible = append(visible, fmt.Sprintf("%s (%s)", p, before.Path))
			t.Errorf("%s (%s): %v after the card was pulled the page is not locked (lock screen %v, live connection %v); it still shows %q:\n%.300s",
				p, before.Path, took.Round(time.Millisecond), st.Locked, live, st.showing(secret), strings.Join(strings.Fields(st.Text), " "))
		} else {
			t.Logf("%-28s %-40s locked %v after the pull", p, before.Path, took.Round(time.Millisecond))
		}
		d.bridgeSees(t, false)

		// Back to the page before (the landing page, left while the session
		// was live): it must not come back with its content.
		if landing.Path != "/login" {
			// history.back() from a timer, so that the evaluation returns
			// before the navigation; the locked page may navigate on its own
			// at the same moment (to the login page), which Chromium reports
			// as the target having navigated: the check below holds either way.
			if err := tab.Run(chromedp.Evaluate(`setTimeout(() => history.back(), 0)`, nil)); err != nil && !strings.Contains(err.Error(), "navigated or closed") {
				t.Fatalf("%s: back: %v", p, err)
			}
			// The lock's own one-second bound is waitLocked's, above; here only
			// that the content does not come back, so the wait allows a loaded
			// machine's slow navigation (it failed once at load 20 with the
			// login page, nothing shown, reached after the second).
			bst, ok := waitGone(tab, 5*time.Second, append(secret, canaryName))
			if !ok {
				t.Errorf("%s: back from the locked page shows %s again with %q: %.200q", p, bst.Path, bst.showing(append(secret, canaryName)), bst.Text)
			}
		}
	}
	t.Logf("walked %d GET routes in %v", len(patterns), time.Since(start).Round(time.Millisecond))
	if len(visible) > 0 {
		t.Errorf("pages still showing after the card was pulled: %s", strings.Join(visible, ", "))
	}
}

// awaitPromise makes an evaluation wait for the promise it returns.
func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// waitGone waits until tab shows nothing of a session (goneFn), or
// within has passed.
func waitGone(tab *uitest.Tab, within time.Duration, secret []string) (pageState, bool) {
	ok := pollAcross(tab, goneFn, secret, within)
	st, _ := stateOf(tab)
	return st, ok
}

// pollAcross waits until the JavaScript function fn, called with arg
// (if not nil), is true in tab, across navigations, or within has passed.
func pollAcross(tab *uitest.Tab, fn string, arg any, within time.Duration) bool {
	deadline := time.Now().Add(within)
	var args []any
	if arg != nil {
		args = []any{arg}
	}
	for {
		// A poll does not survive a navigation; poll again in the new page.
		err := tab.Run(chromedp.PollFunction(fn, nil, chromedp.WithPollingArgs(args...),
			chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
	}
}

// TestBrowserLockOnEverySessionEnd: the same lock, on pages without live
// data and with text typed into them, for the other ways a session ends:
// logout in another tab of the same browser, the commission removed from
// the directory file, the gateway ending the person's sessions (what an
// administrator's kill calls: cardauth's EndStaff with EndAdmin), and
// 15 minutes idle (fake clock). Then a page that goes into the
// back/forward cache is wiped on the way in and loaded anew on the way
// back.
func TestBrowserLockOnEverySessionEnd(t *testing.T) {
	c := startClinic(t)
	cs := c.receive(casetype.RecordExtract, "Journalkopia, tack.")
	pnr := string(cs.Patient.PNR)
	newPNR := string(personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 988))
	b := uitest.NewBrowser(t)
	var other *uitest.Tab // a second tab of the browser that logs out

	for _, tt := range []struct {
		cause   string
		who     string
		path    string
		prepare func(*testing.T, *uitest.Tab)
		secret  []string
		end     func(*testing.T, *uitest.Tab)
	}{
		{"logout in another tab", hsaClinA, "/cases/new",
			func(t *testing.T, tab *uitest.Tab) {
				run(t, tab, "draft", chromedp.SendKeys(`#pnr`, newPNR, chromedp.ByQuery), chromedp.SendKeys(`#text`, draftCanary, chromedp.ByQuery))
			},
			[]string{newPNR, draftCanary},
			func(t *testing.T, tab *uitest.Tab) {
				run(t, other, "logout", chromedp.Click(`form[action="/logout"] button`, chromedp.ByQuery))
			}},
		{"commission removed", hsaAudit, "/audit",
			func(t *testing.T, tab *uitest.Tab) {
				run(t, tab, "patient extract", chromedp.SendKeys(`#q-pnr`, pnr, chromedp.ByQuery),
					chromedp.Submit(`#q-pnr`, chromedp.ByQuery), chromedp.WaitVisible(`#records`, chromedp.ByQuery))
			},
			[]string{pnr},
			func(t *testing.T, _ *uitest.Tab) {
				var staff []democlinic.Member
				for _, m := range democlinic.Staff {
					if m.HSAID != hsaAudit {
						staff = append(staff, m)
					}
				}
				if err := democlinic.WriteDirectory(filepath.Join(c.dc.Dir, "hsa.json"), testUnit, staff, c.clock.Now()); err != nil {
					t.Fatal(err)
				}
			}},
		{"sessions ended by the gateway", hsaAdmin, "/admin/forms/book-appointment",
			func(t *testing.T, tab *uitest.Tab) {
				run(t, tab, "form title", chromedp.SendKeys(`#titleSv`, formCanary, chromedp.ByQuery))
			},
			[]string{formCanary},
			func(t *testing.T, _ *uitest.Tab) {
				if n := c.gw.Login().EndStaff(hsaAdmin, cardauth.EndAdmin); n != 1 {
					t.Errorf("EndStaff ended %d sessions, want 1", n)
				}
			}},
		{"15 minutes idle", hsaAdmin, "/admin/stats?from=" + statsCanary + "&to=2026-11-30", nil,
			[]string{statsCanary},
			func(t *testing.T, _ *uitest.Tab) {
				c.clock.Advance(cardauth.IdleTimeout)
				c.gw.Login().Sweep()
			}},
	} {
		tab := b.NewTab(t)
		useSession(t, tab, c.login(tt.who))
		run(t, tab, tt.cause, chromedp.Navigate(c.origin+tt.path))
		if tt.prepare != nil {
			tt.prepare(t, tab)
		}
		if tt.cause == "logout in another tab" {
			other = b.SecondTab(t, tab)
			run(t, other, "second tab", chromedp.Navigate(c.origin+"/settings"), chromedp.WaitVisible(`#signature`, chromedp.ByQuery))
		}
		if !armed(tab) {
			t.Errorf("%s: %s has no live connection", tt.cause, tt.path)
		}
		secret := append(tt.secret, staffName(tt.who))
		if st, _ := stateOf(tab); len(st.showing(secret)) != len(secret) {
			t.Fatalf("%s: %s does not show %q before: %.300q", tt.cause, tt.path, secret, st.Text)
		}
		tt.end(t, tab)
		at := time.Now() // the click, the file written, the call made: the session ends from here on
		took, st, ok := waitLocked(tab, at, time.Second, secret)
		if !ok {
			t.Errorf("%s: %s not locked %v after: lock screen %v, shows %q: %.300q", tt.cause, tt.path, took, st.Locked, st.showing(secret), st.Text)
		} else {
			t.Logf("%-26s %-20s locked %v after", tt.cause, tt.path, took.Round(time.Millisecond))
		}
	}

	// The back/forward cache: a session page with a draft goes into it
	// (pagehide, persisted) wiped, and comes back (pageshow, persisted) as
	// a new load from the server. Chromium keeps no page with an open
	// websocket and no-store in the cache today, so the events are played.
	tab := b.NewTab(t)
	useSession(t, tab, c.login(hsaClinB))
	run(t, tab, "new message", chromedp.Navigate(c.origin+"/cases/new"), chromedp.SendKeys(`#text`, draftCanary, chromedp.ByQuery))
	if !armed(tab) {
		t.Fatal("/cases/new has no live connection")
	}
	run(t, tab, "into the cache", chromedp.Evaluate(`window.__before = true; window.dispatchEvent(new PageTransitionEvent("pagehide", {persisted: true}))`, nil))
	if st, _ := stateOf(tab); !st.Blank {
		t.Errorf("a page going into the back/forward cache keeps %q", st.showing([]string{draftCanary, staffName(hsaClinB)}))
	}
	run(t, tab, "out of the cache", chromedp.Evaluate(`window.dispatchEvent(new PageTransitionEvent("pageshow", {persisted: true}))`, nil))
	if !pollAcross(tab, `() => window.__before !== true && document.readyState === "complete" && !!document.getElementById("text")`, nil, 10*time.Second) {
		t.Error("a page back from the back/forward cache was not loaded anew")
	}
	if st, _ := stateOf(tab); len(st.showing([]string{draftCanary})) > 0 || !strings.Contains(st.Text, staffName(hsaClinB)) {
		t.Errorf("a page back from the back/forward cache with its session live: want it loaded anew without the draft, got %q: %.200q", st.showing([]string{draftCanary}), st.Text)
	}
}
