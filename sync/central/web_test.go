package central

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
)

// browser is a patient's browser: cookies, no automatic redirects, and a
// record of every URL it was sent to.
type browser struct {
	e      *env
	c      *http.Client
	origin string // sent as Origin on POSTs; "" for none
	urls   []string
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	cfg := tlsconf.Client(e.server, e.pki.RootPool(), "127.0.0.1", nil)
	cfg.Certificates = nil
	return &browser{e: e, origin: e.web.URL, c: &http.Client{
		Jar: jar, Timeout: 10 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values, header http.Header) page {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.web.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method == http.MethodPost && b.origin != "" {
		req.Header.Set("Origin", b.origin)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	b.urls = append(b.urls, req.URL.String())
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if loc := resp.Header.Get("Location"); loc != "" {
		b.urls = append(b.urls, loc)
	}
	for _, m := range linkRE.FindAllStringSubmatch(string(data), -1) {
		b.urls = append(b.urls, m[1])
	}
	checkHeaders(b.e.t, method+" "+path, resp)
	return page{resp.StatusCode, resp.Header, string(data)}
}

var linkRE = regexp.MustCompile(`(?:href|action|src)="([^"]*)"`)

func (b *browser) get(path string) page { return b.do(http.MethodGet, path, nil, nil) }

func (b *browser) post(path string, form url.Values) page {
	return b.do(http.MethodPost, path, form, nil)
}

func (b *browser) login(pnr, name string) {
	b.e.t.Helper()
	p := b.post("/logga-in", url.Values{"pnr": {pnr}, "name": {name}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/" {
		b.e.t.Fatalf("login: %d %s", p.status, p.body)
	}
}

// checkHeaders asserts the security headers every response must carry
// (WB4).
func checkHeaders(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": contentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
		"X-Frame-Options":         "DENY",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'self'", "frame-ancestors 'none'", "script-src 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("%s: CSP lacks %s", what, d)
		}
	}
	if !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("%s: no HSTS", what)
	}
	for _, c := range resp.Header.Values("Set-Cookie") {
		for _, attr := range []string{"__Host-patient=", "Path=/", "Secure", "HttpOnly", "SameSite=Strict"} {
			if !strings.Contains(c, attr) {
				t.Errorf("%s: cookie %q lacks %s", what, c, attr)
			}
		}
		if strings.Contains(c, "Domain=") {
			t.Errorf("%s: a __Host- cookie with a Domain", what)
		}
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") {
		if ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", what, ct)
		}
	}
}

// caseIDOf returns the case id a submit redirected to.
func caseIDOf(t *testing.T, p page) string {
	t.Helper()
	loc := p.header.Get("Location")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/arenden/") {
		t.Fatalf("submit: %d %q %.500s", p.status, loc, p.body)
	}
	return strings.TrimPrefix(loc, "/arenden/")
}

func TestPatientPages(t *testing.T) {
	e := newEnv(t)
	b := e.browser()

	// Not logged in: every page leads to the login page.
	for _, path := range []string{"/", "/skriv", "/arenden/01jzzzzzzzzzzzzzzzzzzzzzzz"} {
		if p := b.get(path); p.status != http.StatusSeeOther || p.header.Get("Location") != "/logga-in" {
			t.Errorf("%s without a session: %d %s", path, p.status, p.header.Get("Location"))
		}
	}
	login := b.get("/logga-in")
	for _, s := range []string{"Utvecklingsinloggning – ersätter e-legitimation (BankID) i den riktiga tjänsten", `<label for="pnr">`, `<label for="name">`, `lang="sv"`} {
		if !strings.Contains(login.body, s) {
			t.Errorf("login page lacks %q", s)
		}
	}
	// A bad personnummer gets a Swedish error and no session.
	wrongCheck := adultPNR[:11] + string(rune('0'+(adultPNR[11]-'0'+1)%10))
	bad := b.post("/logga-in", url.Values{"pnr": {wrongCheck}, "name": {adultName}})
	if bad.status != http.StatusBadRequest || !strings.Contains(bad.body, "kontrollsiffra") || bad.header.Get("Set-Cookie") != "" {
		t.Errorf("bad personnummer: %d %v %.300s", bad.status, bad.header.Get("Set-Cookie"), bad.body)
	}

	b.login(adultPNR[2:8]+"-"+adultPNR[8:], adultName) // the 10-digit form
	start := b.get("/")
	if start.status != http.StatusOK || !strings.Contains(start.body, "Du har inga ärenden ännu.") || !strings.Contains(start.body, adultName) {
		t.Fatalf("start: %d %.500s", start.status, start.body)
	}
	units := b.get("/skriv")
	if !strings.Contains(units.body, "Vårdcentralen Aspen") || !strings.Contains(units.body, `href="/skriv/`+unitA+`"`) {
		t.Errorf("units page: %.500s", units.body)
	}
	forms := b.get("/skriv/" + unitA)
	if !strings.Contains(forms.body, "Registrera symtom") || !strings.Contains(forms.body, `href="/skriv/`+unitA+`/symptom-registration"`) {
		t.Errorf("forms page: %.500s", forms.body)
	}
	form := b.get("/skriv/" + unitA + "/symptom-registration")
	for _, s := range []string{
		`<label for="f-symptoms">Vilka symtom har du? <span class="req">(obligatoriskt)</span></label>`,
		`<input type="checkbox" id="f-fever" name="f.fever" value="true">`,
		"Fyll i om du har kryssat i ”Jag har feber”.",
		"Jag skriver för mitt barn (under 13 år)",
		`<label for="childPnr">`, `<label for="text">`, `type="date"`,
	} {
		if !strings.Contains(form.body, s) {
			t.Errorf("form page lacks %q", s)
		}
	}
	if strings.Count(form.body, "<h1>") != 1 || strings.Contains(form.body, "<script") || strings.Contains(form.body, "style=") {
		t.Error("the form page must have one h1 and no script or inline style")
	}

	// A required conditional field: refused with a Swedish message and the
	// answers kept.
	xss := "<script>alert(1)</script>"
	answers := url.Values{"f.symptoms": {"Hosta " + xss}, "f.fever": {"true"}, "text": {"Hej " + xss}}
	refused := b.post("/skriv/"+unitA+"/symptom-registration", answers)
	if refused.status != http.StatusBadRequest || !strings.Contains(refused.body, "Fyll i ”Högsta temperatur”.") || !strings.Contains(refused.body, "Hosta &lt;script&gt;") {
		t.Errorf("missing temperature: %d %.1000s", refused.status, refused.body)
	}
	answers.Set("f.temperature", "38,5")
	id := caseIDOf(t, b.post("/skriv/"+unitA+"/symptom-registration", answers))

	view := b.get("/arenden/" + id)
	if view.status != http.StatusOK || !strings.Contains(view.body, "Registrera symtom") || !strings.Contains(view.body, "Mottaget") {
		t.Fatalf("case view: %d %.500s", view.status, view.body)
	}
	if strings.Contains(view.body, xss) || !strings.Contains(view.body, "Hej &lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the XSS payload is not escaped in the case view")
	}
	for _, s := range []string{"Svara", "Återkalla ärendet", "38,5"} {
		if !strings.Contains(view.body, s) {
			t.Errorf("case view lacks %q", s)
		}
	}

	// An answer arrives: a marker on the start page until the case is read.
	e.outbox(unitA, answer("w-1", id, "Drick mycket vatten. "+xss))
	if start := b.get("/"); !strings.Contains(start.body, "Nytt meddelande") {
		t.Error("no new-message marker after an answer")
	}
	view = b.get("/arenden/" + id)
	if !strings.Contains(view.body, "Svar från Läkare") || !strings.Contains(view.body, "Doris Doktor, leg. läkare") || strings.Contains(view.body, xss) {
		t.Errorf("the answer in the case view: %.2000s", view.body)
	}
	if strings.Contains(view.body, "SE2321000016") && strings.Contains(view.body, "DOC") {
		t.Error("the case view shows an HSA-ID")
	}
	if start := b.get("/"); strings.Contains(start.body, "Nytt meddelande") {
		t.Error("the marker stayed after reading")
	}

	// Follow-up, then withdrawal, through the pages.
	if p := b.post("/arenden/"+id+"/svar", url.Values{"text": {"   "}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, "Skriv ett meddelande.") {
		t.Errorf("blank follow-up: %d", p.status)
	}
	if p := b.post("/arenden/"+id+"/svar", url.Values{"text": {"Tack, det hjälpte."}}); p.status != http.StatusSeeOther {
		t.Errorf("follow-up: %d %.300s", p.status, p.body)
	}
	if p := b.post("/arenden/"+id+"/aterkalla", url.Values{}); p.status != http.StatusSeeOther {
		t.Errorf("withdraw: %d", p.status)
	}
	if pc, _ := e.store.PatientCase(e.ctx, adultPNR, id); pc.Status != wire.StatusWithdrawn || len(pc.Messages) != 2 {
		t.Errorf("after follow-up and withdrawal: %s, %d messages", pc.Status, len(pc.Messages))
	}

	// Another person cannot read or change the case.
	other := e.browser()
	other.login(otherPNR, "Annan Person")
	if p := other.get("/arenden/" + id); p.status != http.StatusNotFound || strings.Contains(p.body, "Hosta") {
		t.Errorf("another person reads the case: %d", p.status)
	}
	if p := other.post("/arenden/"+id+"/svar", url.Values{"text": {"Intrång"}}); p.status != http.StatusNotFound {
		t.Errorf("another person writes in the case: %d", p.status)
	}

	// Logout ends the session.
	if p := b.post("/logga-ut", url.Values{}); p.status != http.StatusSeeOther {
		t.Errorf("logout: %d", p.status)
	}
	if p := b.get("/"); p.status != http.StatusSeeOther {
		t.Errorf("after logout: %d", p.status)
	}

	checkNoPNRInURLs(t, b, other)
	e.checkLogs("Hosta", "38,5", "Drick mycket vatten", "Tack, det hjälpte", "Annan Person")
}

// checkNoPNRInURLs fails if any URL a browser visited or was shown holds
// a personnummer, in any form.
func checkNoPNRInURLs(t *testing.T, browsers ...*browser) {
	t.Helper()
	n := 0
	for _, b := range browsers {
		for _, u := range b.urls {
			n++
			digits := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, u)
			for _, pnr := range []string{adultPNR, otherPNR, childPNR, teenPNR} {
				if strings.Contains(digits, pnr[2:]) {
					t.Errorf("URL %q holds a personnummer", u)
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d URLs checked", n)
	}
}

func TestGuardianPages(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login(adultPNR, adultName)
	path := "/skriv/" + unitA + "/advice-nurse"
	form := url.Values{"guardian": {"1"}, "childPnr": {teenPNR}, "childName": {"Tonåring"}, "f.question": {"Ont i magen"}}
	if p := b.post(path, form); p.status != http.StatusBadRequest || !strings.Contains(p.body, "under 13 år") {
		t.Errorf("a child of 16: %d %.300s", p.status, p.body)
	}
	form.Set("childPnr", "20180701-0000")
	if p := b.post(path, form); p.status != http.StatusBadRequest || !strings.Contains(p.body, "Barnets uppgifter:") {
		t.Errorf("a bad child personnummer: %d", p.status)
	}
	form.Set("childPnr", childPNR)
	form.Set("childName", childName)
	id := caseIDOf(t, b.post(path, form))
	start := b.get("/")
	if !strings.Contains(start.body, "för <bdi>"+childName+"</bdi>") {
		t.Errorf("the start page does not show the child: %.1000s", start.body)
	}
	if pc, err := e.store.PatientCase(e.ctx, childPNR, id); err != nil || pc.Guardian == nil || pc.Guardian.PNR != adultPNR {
		t.Errorf("the child's view: %+v %v", pc, err)
	}
	// A form that does not allow a guardian ignores the choice.
	if p := b.get("/skriv/" + unitA + "/renew-sick-leave"); strings.Contains(p.body, "Jag skriver för mitt barn") {
		t.Error("the sick-leave form offers the guardian option")
	}
	checkNoPNRInURLs(t, b)
}

func TestCrossSiteRefused(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login(adultPNR, adultName)
	before := e.dump()
	form := url.Values{"f.question": {"Hej"}}
	path := "/skriv/" + unitA + "/advice-nurse"
	for name, h := range map[string]http.Header{
		"evil origin":       {"Origin": {"https://evil.example"}, "Sec-Fetch-Site": nil},
		"cross-site fetch":  {"Sec-Fetch-Site": {"cross-site"}, "Origin": nil},
		"same-site sibling": {"Sec-Fetch-Site": {"same-site"}, "Origin": {"https://other.127.0.0.1"}},
		"neither":           {"Origin": nil, "Sec-Fetch-Site": nil},
	} {
		for _, target := range []string{path, "/logga-in", "/logga-ut"} {
			hdr := http.Header{}
			for k, v := range h {
				if v != nil {
					hdr[k] = v
				}
			}
			saved := b.origin
			b.origin = "" // send exactly hdr
			req := b.do(http.MethodPost, target, form, hdr)
			b.origin = saved
			if req.status != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", name, target, req.status)
			}
		}
	}
	if after := e.dump(); after != before {
		t.Error("a cross-site POST changed the store")
	}
	// The session survived the refused logout.
	if p := b.get("/"); p.status != http.StatusOK {
		t.Errorf("after refused cross-site logout: %d", p.status)
	}
}

func TestHeadersOnEveryRoute(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	id := e.submit(unitA, "Rubriker.")
	for _, path := range []string{"/logga-in", "/", "/static/style.css", "/finns-inte", "/static/nope.css"} {
		b.get(path) // checkHeaders runs on every response
	}
	b.login(adultPNR, adultName)
	for _, path := range []string{"/", "/skriv", "/skriv/" + unitA, "/skriv/" + unitA + "/contact-me", "/arenden/" + id,
		"/skriv/SE0000000000-NONE", "/skriv/" + unitA + "/nope", "/arenden/nope", "/finns-inte",
		"/boka/" + unitA, "/boka/" + unitA + "?typ=x", "/boka/" + unitA + "/tid/nope", "/boka/" + unitA + "/begaran/nope",
		"/boka/SE0000000000-NONE"} {
		p := b.get(path)
		if strings.HasPrefix(p.header.Get("Content-Type"), "text/html") && strings.Count(p.body, "<h1>") != 1 {
			t.Errorf("%s: %d h1", path, strings.Count(p.body, "<h1>"))
		}
		if strings.HasPrefix(p.header.Get("Content-Type"), "text/html") && !(strings.Contains(p.body, "<main") && strings.Contains(p.body, "<header")) {
			t.Errorf("%s: no main or header landmark", path)
		}
	}
	b.do(http.MethodPut, "/", nil, nil)
	css := b.get("/static/style.css")
	if css.status != http.StatusOK || !strings.Contains(css.body, ":focus-visible") {
		t.Errorf("style.css: %d", css.status)
	}
}

func TestSessionExpires(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login(adultPNR, adultName)
	e.clock.Advance(sessionIdle - time.Second)
	if p := b.get("/"); p.status != http.StatusOK {
		t.Fatalf("before the idle timeout: %d", p.status)
	}
	e.clock.Advance(sessionIdle + time.Second)
	if p := b.get("/"); p.status != http.StatusSeeOther {
		t.Errorf("after the idle timeout: %d", p.status)
	}
	// A new login rotates the id: the old cookie is dead.
	b.login(adultPNR, adultName)
	u, _ := url.Parse(e.web.URL)
	old := b.c.Jar.Cookies(u)
	b.login(adultPNR, adultName)
	if now := b.c.Jar.Cookies(u); len(old) != 1 || len(now) != 1 || old[0].Value == now[0].Value {
		t.Fatalf("cookies %v then %v", old, now)
	}
	stale := e.browser()
	stale.c.Jar.SetCookies(u, old)
	if p := stale.get("/"); p.status != http.StatusSeeOther {
		t.Errorf("the old session id still works: %d", p.status)
	}
}
