package localui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// seedPatientLog puts a case (access-log record 1, about another
// patient) and then n records about a new patient, read by hsaClinB, in
// the log; the records' case ids count up from c0…0.
func seedPatientLog(t *testing.T, c *clinic, n int) personnummer.Personnummer {
	t.Helper()
	c.receive(casetype.AdviceNurse, "Hej")
	pnr := personnummer.Synthetic(time.Date(1961, 4, 12, 0, 0, 0, 0, time.UTC), 985)
	c.mu.Lock()
	c.pnrs = append(c.pnrs, string(pnr))
	c.mu.Unlock()
	err := c.gw.Store().Update(t.Context(), func(tx cases.Tx) error {
		for i := range n {
			err := tx.AppendAudit(audit.Entry{Time: c.clock.Now(), Actor: hsaClinB, Unit: testUnit, Action: string(cases.Read),
				CaseID: fmt.Sprintf("c%025d", i), Patient: string(pnr), Outcome: audit.Allowed})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pnr
}

// TestAuditPagingInChromium: in Chromium, the extract's paging buttons,
// in their labelled nav, go to the older page and back, and the address
// bar never holds more than /audit.
func TestAuditPagingInChromium(t *testing.T) {
	c := startClinic(t)
	pnr := seedPatientLog(t, c, 250)
	b := uitest.NewBrowser(t)
	tab := b.NewTab(t)
	useSession(t, tab, c.login(hsaAudit))
	// The first case named on the page: the newest page, read again,
	// starts with the auditor's own page views, which name none.
	firstCase := `[...document.querySelectorAll("#records tbody tr td:nth-child(4)")].map(td => td.innerText).find(s => s != "")`
	var first, older, back, loc, label, rng string
	run(t, tab, "search", chromedp.Navigate(c.origin+"/audit"), chromedp.WaitVisible(`#q-pnr`),
		chromedp.SendKeys(`#q-pnr`, pnr.String()), chromedp.Submit(`#q-pnr`), chromedp.WaitVisible(`#page-older button`),
		chromedp.Evaluate(firstCase, &first),
		chromedp.Evaluate(`document.querySelector("nav.pages").getAttribute("aria-label")`, &label))
	run(t, tab, "older", chromedp.Click(`#page-older button`), chromedp.WaitVisible(`#page-newer button`),
		chromedp.Evaluate(firstCase, &older), chromedp.Evaluate(`document.querySelector("#records-range").innerText`, &rng),
		chromedp.Evaluate(`location.href`, &loc))
	shot(tab, "audit-page-2")
	run(t, tab, "newer", chromedp.Click(`#page-newer button`), chromedp.WaitVisible(`#page-older button`),
		chromedp.Evaluate(firstCase, &back))
	if label != "Sidor i loggutdraget" {
		t.Errorf("the paging nav is labelled %q", label)
	}
	if first != fmt.Sprintf("c%025d", 249) || older != fmt.Sprintf("c%025d", 49) || back != first {
		t.Errorf("first records: page 1 %s, page 2 %s, back %s", first, older, back)
	}
	if rng != "Post 201–250, nyaste först." {
		t.Errorf("page 2 says %q", rng)
	}
	if loc != c.origin+"/audit" {
		t.Errorf("the address bar holds %q", loc)
	}
}

// TestAuditExtractPaging (issue 18, item 2): a log extract shows 200
// records a page, newest first; "Äldre poster" and "Nyare poster" post the
// query again with the cursors, in the body: the personnummer is in no
// URL. Every page view is one access-log entry.
func TestAuditExtractPaging(t *testing.T) {
	c := startClinic(t)
	const n = 450
	pnr := seedPatientLog(t, c, n)
	aud := c.login(hsaAudit)
	head := func() uint64 {
		rep, err := c.gw.Store().VerifyAudit(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return rep.Head.Seq
	}
	rowCase := regexp.MustCompile(`<td>(c\d{25})</td>`)
	nav := regexp.MustCompile(`<nav class="pages" aria-label="Sidor i loggutdraget">`)
	pageForm := func(body, id string) url.Values {
		m := regexp.MustCompile(`id="` + id + `">\s*<input type="hidden" name="kind" value="([^"]*)"><input type="hidden" name="q" value="([^"]*)">\s*<input type="hidden" name="before" value="(\d+)"><input type="hidden" name="back" value="([^"]*)">`).FindStringSubmatch(body)
		if m == nil {
			return nil
		}
		return url.Values{"kind": {m[1]}, "q": {m[2]}, "before": {m[3]}, "back": {m[4]}}
	}
	// view posts one page and returns its cases, newest first, and its
	// paging forms.
	view := func(v url.Values) (ids []string, older, newer url.Values) {
		t.Helper()
		at := head()
		r, body := aud.form("/audit", v)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("POST /audit %v: %d %.300q", v, r.StatusCode, body)
		}
		if got := head() - at; got != 1 {
			t.Errorf("a page view wrote %d access-log entries, want 1", got)
		}
		if regexp.MustCompile(`(href|action|src)="[^"]*` + string(pnr)).MatchString(body) {
			t.Errorf("the personnummer is in a URL of the page")
		}
		for _, m := range rowCase.FindAllStringSubmatch(body, -1) {
			ids = append(ids, m[1])
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] >= ids[i-1] {
				t.Fatalf("records not newest first: %s after %s", ids[i], ids[i-1])
			}
		}
		older, newer = pageForm(body, "page-older"), pageForm(body, "page-newer")
		if (older != nil || newer != nil) != nav.MatchString(body) {
			t.Errorf("paging controls without their labelled nav, or a nav without them")
		}
		return ids, older, newer
	}
	p1, older, newer := view(url.Values{"kind": {"patient"}, "q": {pnr.String()}})
	if len(p1) != 200 || p1[0] != fmt.Sprintf("c%025d", n-1) || older == nil || newer != nil {
		t.Fatalf("page 1: %d records from %v, older %v, newer %v", len(p1), p1[:min(1, len(p1))], older, newer)
	}
	if older.Get("q") != pnr.String() {
		t.Fatalf("the older page's form does not carry the query")
	}
	p2, older, newer := view(older)
	if len(p2) != 200 || p2[0] != fmt.Sprintf("c%025d", n-201) || older == nil || newer == nil {
		t.Fatalf("page 2: %d records from %v, older %v, newer %v", len(p2), p2[:min(1, len(p2))], older, newer)
	}
	p3, older, newer := view(older)
	if len(p3) != n-400 || p3[len(p3)-1] != fmt.Sprintf("c%025d", 0) || older != nil || newer == nil {
		t.Fatalf("page 3: %d records, older %v, newer %v", len(p3), older, newer)
	}
	back2, _, newer := view(newer)
	if strings.Join(back2, ",") != strings.Join(p2, ",") || newer == nil {
		t.Fatalf("page 2 read back differs")
	}
	// The newest page now starts with the auditor's four page views (no
	// case), then the same records.
	back1, _, newer := view(newer)
	if newer != nil || len(back1) != 196 || !strings.HasPrefix(strings.Join(p1, ","), strings.Join(back1, ",")) {
		t.Fatalf("page 1 read back: %d records, newer %v", len(back1), newer)
	}
	// A tampered cursor is refused, not shown as another patient's.
	if r, _ := aud.form("/audit", url.Values{"kind": {"patient"}, "q": {pnr.String()}, "before": {"1"}, "back": {"0"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("another patient's record as the cursor: %d, want 400", r.StatusCode)
	}
	if r, _ := aud.form("/audit", url.Values{"kind": {"staff"}, "q": {hsaClinB}, "before": {"x"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("a malformed cursor: %d, want 400", r.StatusCode)
	}
}
