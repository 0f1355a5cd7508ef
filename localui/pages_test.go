package localui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// xssCorpus is patient text and form answers that must render as text.
var xssCorpus = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(2)>`,
	`"><svg onload=alert(3)>`,
	`javascript:alert(4)`,
	`</textarea><script>alert(5)</script>`,
	`{{.}}<a href="javascript:alert(6)">x</a>`,
	"<iframe srcdoc=\"<script>alert(7)</script>\">",
}

// TestEveryRoute (WB4, AZ1): every route answers with the security
// headers; pages that may show patient data are no-store; each role gets
// its own pages and a 403 on the others'.
func TestEveryRoute(t *testing.T) {
	c := startClinic(t)
	cs := c.receive(casetype.RecordExtract, "Journalkopia, tack.")
	c.setGroups() // groups_test.go: clinA in the therapists' group, clinB in the doctors'
	queued := "/cases/" + string(c.receiveInto(groupOT, casetype.RenewPrescription, "Förnya hjälpmedlet.").ID)
	users := map[string]*browser{}
	for _, h := range []string{hsaDist, hsaClinA, hsaClinB, hsaAdmin, hsaAudit} {
		users[h] = c.login(h)
	}
	anon := c.newBrowser("")
	tests := []struct {
		who    string
		method string
		path   string
		form   url.Values
		want   int
	}{
		{"", "GET", "/login", nil, 200},
		{"", "GET", "/static/app.js", nil, 200},
		{"", "GET", "/static/style.css", nil, 200},
		{"", "GET", "/inbox", nil, 303},
		{"", "GET", "/", nil, 303},
		{"", "POST", "/cases/" + string(cs.ID) + "/assign", url.Values{"assignee": {hsaClinA}}, 401},
		{hsaDist, "GET", "/", nil, 303},
		{hsaDist, "GET", "/inbox", nil, 200},
		{hsaDist, "GET", "/inbox?view=overdue&type=record-extract", nil, 200},
		{hsaDist, "GET", "/cases/" + string(cs.ID), nil, 200},
		{hsaDist, "GET", "/cases/01kjprzb00dbk7gftfqqmhpvnr", nil, 404},
		{hsaDist, "GET", "/cases/..%2f..%2fetc", nil, 404},
		{hsaDist, "GET", "/finns-inte", nil, 404},
		{"", "GET", "/finns-inte", nil, 404},
		{hsaDist, "GET", "/cases/" + string(cs.ID) + "/assign", nil, 405},
		{hsaDist, "GET", "/settings", nil, 200},
		{hsaDist, "GET", "/admin/stats", nil, 200}, // distributors read statistics too
		{hsaDist, "GET", "/admin/unit", nil, 403},
		{hsaDist, "GET", "/audit", nil, 403},
		{hsaClinA, "GET", "/mine", nil, 200},
		{hsaDist, "GET", "/mine", nil, 403}, // cases are assigned to clinicians only
		{hsaAdmin, "GET", "/mine", nil, 403},
		{hsaClinA, "GET", "/cases/new", nil, 200},
		{hsaClinA, "POST", "/cases/new", url.Values{"pnr": {"19800101-0000"}, "type": {"contact-me"}, "subject": {"Provsvar"}, "text": {"Hej"}}, 400},
		{hsaDist, "GET", "/cases/new", nil, 200},
		{hsaAdmin, "GET", "/cases/new", nil, 403},
		{hsaAdmin, "POST", "/cases/new", url.Values{"pnr": {"19800101-0000"}, "type": {"contact-me"}, "subject": {"Provsvar"}, "text": {"Hej"}}, 403},
		{hsaAudit, "GET", "/cases/new", nil, 403},
		{hsaClinA, "GET", "/inbox", nil, 403},
		{hsaClinA, "GET", "/cases/" + string(cs.ID), nil, 403},
		{hsaClinA, "GET", "/admin/stats", nil, 403},
		{hsaClinA, "POST", "/settings", url.Values{"signature": {"Lars"}, "notifyEmail": {"on"}, "email": {"lars@example.se"}}, 303},
		{hsaClinA, "POST", "/settings", url.Values{"notifySms": {"on"}, "mobile": {"<script>"}}, 400},
		{hsaAdmin, "GET", "/admin/stats", nil, 200},
		{hsaAdmin, "GET", "/admin/stats?from=2026-01-01&to=2026-12-31", nil, 200},
		{hsaAdmin, "GET", "/admin/stats?from=igår", nil, 400},
		{hsaAdmin, "GET", "/admin/stats.csv", nil, 200},
		{hsaAdmin, "GET", "/admin/unit", nil, 200},
		{hsaAdmin, "POST", "/admin/unit", url.Values{"standardAnswers": {"Recept klart\nDitt recept är förnyat."}, "noticeEmail": {"vc@example.se"}}, 303},
		{hsaAdmin, "POST", "/admin/unit", url.Values{"noticeEmail": {"not an address"}}, 400},
		{hsaAdmin, "GET", "/inbox", nil, 403},
		{hsaAdmin, "GET", "/admin/forms", nil, 200},
		{hsaAdmin, "GET", "/admin/forms/book-appointment", nil, 200},
		{hsaAdmin, "GET", "/admin/forms/export", nil, 200},
		{hsaAdmin, "GET", "/admin/forms/order-pizza", nil, 404},
		{hsaAdmin, "POST", "/admin/forms/book-appointment", url.Values{"action": {"save"}, "n": {"0"}, "titleSv": {"Boka tid"}}, 303},
		{hsaAdmin, "POST", "/admin/forms/book-appointment", url.Values{"action": {"publish"}, "n": {"0"}}, 400},
		{hsaAdmin, "POST", "/admin/forms/import", nil, 400},
		{hsaAdmin, "POST", "/admin/forms/import/apply", nil, 409},
		{hsaDist, "GET", "/admin/forms", nil, 403},
		{hsaClinA, "POST", "/admin/forms/book-appointment", url.Values{"action": {"save"}, "n": {"0"}}, 403},
		{hsaAudit, "GET", "/admin/forms/export", nil, 403},
		{"", "GET", "/admin/forms", nil, 303},
		{hsaAudit, "GET", "/audit", nil, 200},
		{hsaAudit, "POST", "/audit", url.Values{"kind": {"patient"}, "q": {string(cs.Patient.PNR)}}, 200},
		{hsaAudit, "POST", "/audit", url.Values{"kind": {"staff"}, "q": {hsaDist}}, 200},
		{hsaAudit, "POST", "/audit", url.Values{"kind": {"patient"}, "q": {"19800101-0000"}}, 400},
		{hsaAudit, "GET", "/cases/" + string(cs.ID), nil, 403},
		// Staff groups: the queue is its members' and the distributor's.
		{hsaClinA, "GET", "/queue", nil, 303},
		{hsaClinA, "GET", "/queue/" + groupOT, nil, 200},
		{hsaClinA, "GET", queued, nil, 200},
		{hsaClinB, "GET", "/queue/" + groupOT, nil, 403},
		{hsaClinB, "GET", queued, nil, 403},
		{hsaClinB, "POST", queued + "/take", nil, 403},
		{hsaDist, "GET", "/queue/" + groupOT, nil, 200},
		{hsaDist, "GET", "/queue/finns-inte", nil, 404},
		{hsaDist, "POST", queued + "/route", url.Values{"group": {"finns-inte"}}, 400},
		{hsaAdmin, "GET", "/queue/" + groupOT, nil, 403},
		{hsaAudit, "GET", "/queue", nil, 403},
		{hsaAdmin, "GET", "/admin/groups", nil, 200},
		{hsaAdmin, "POST", "/admin/groups", url.Values{"op": {"create"}, "name": {"Psykologer"}, "member": {hsaClinB}}, 303},
		{hsaAdmin, "POST", "/admin/groups", url.Values{"op": {"create"}, "name": {"psykologer"}}, 400},
		{hsaAdmin, "POST", "/admin/groups", url.Values{"op": {"save"}, "id": {groupOT}, "name": {""}}, 400},
		{hsaDist, "GET", "/admin/groups", nil, 403},
		{hsaClinA, "POST", "/admin/groups", url.Values{"op": {"delete"}, "id": {groupOT}}, 403},
		{"", "GET", "/admin/groups", nil, 303},
		{hsaClinA, "POST", queued + "/take", nil, 303},
		{hsaDist, "POST", "/lang", url.Values{"lang": {"en"}, "back": {"//evil.example/"}}, 303},
		{hsaDist, "POST", "/logout", nil, 303},
	}
	for _, tt := range tests {
		b := anon
		if tt.who != "" {
			b = users[tt.who]
		}
		var r *http.Response
		var body string
		if tt.method == "GET" {
			r, body = b.getBody(tt.path)
		} else {
			r, body = b.form(tt.path, tt.form)
		}
		name := tt.who + " " + tt.method + " " + tt.path
		if r.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d\n%.300s", name, r.StatusCode, tt.want, body)
		}
		h := r.Header
		csp := h.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: CSP %q lacks %s", name, csp, d)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows unsafe script: %q", name, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
			"Strict-Transport-Security": "max-age=31536000", "X-Frame-Options": "DENY"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", name, k, h.Get(k), v)
			}
		}
		if !strings.HasPrefix(tt.path, "/static/") && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", name, h.Get("Cache-Control"))
		}
		if loc := h.Get("Location"); strings.HasPrefix(loc, "//") || strings.Contains(loc, "evil") {
			t.Errorf("%s: redirects off the site to %q", name, loc)
		}
		for _, ck := range r.Cookies() {
			if !strings.HasPrefix(ck.Name, "__Host-") || !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" {
				t.Errorf("%s: cookie %s: %+v (AU5)", name, ck.Name, ck)
			}
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, " onclick=") || strings.Contains(body, " style=") {
			t.Errorf("%s: inline script or style in the page", name)
		}
	}
}

// TestXSSRendersAsText (WB3, server side): the payloads come back escaped
// on the list and the case page. (The browser test checks none runs.)
func TestXSSRendersAsText(t *testing.T) {
	c := startClinic(t)
	dist := c.login(hsaDist)
	for _, p := range xssCorpus {
		got, err := c.gw.Cases().Receive(t.Context(), cases.Submission{Type: casetype.AdviceNurse,
			Patient: cases.Person{PNR: personnummer.Synthetic(c.clock.Now().AddDate(-40, 0, 0), 990), Name: p},
			Text:    p, SubmittedAt: c.clock.Now(), Fields: []cases.Field{{Name: "q", Label: p, Value: p}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/inbox", "/cases/" + string(got.ID)} {
			_, body := dist.getBody(path)
			for _, bad := range []string{"<script>alert", "<img src=x", "<svg onload", "<iframe", `href="javascript:`} {
				if strings.Contains(body, bad) {
					t.Errorf("%s renders %q raw", path, bad)
				}
			}
		}
	}
}
