package agent_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/booking"
)

// urlHealthWords are words no address of the patient pages may carry:
// an address ends up in browser history, proxies' and servers' logs and
// the Referer, so a kind of care in it is a health fact about the
// patient. The time types' own ids are canaries too.
var urlHealthWords = []string{"psykolog", "psyk", "abort", "preventiv", "hiv", "sti-", "depression", "cancer", "onkolog",
	"missbruk", "beroende", "kurator", "barnmorska", "graviditet", "gynekolog", "urolog", "diabetes", "vaccin", "samtal"}

var pageLink = regexp.MustCompile(`(?:href|action)="(/boka/[^"#]*)"`)

// TestBookingURLsCarryNoHealthWords: the real gateway publishes two time
// types whose ids name kinds of care ("psykolog-30", "preventiv-samtal");
// a patient walks every page of the central store's booking pages
// reachable from /boka/{unit} and books a time. No address they visit,
// no form's target and no redirect holds a type's id or a health word:
// the types go by opaque ids. A link made before (?typ=psykolog-30) is
// answered with a page that says it no longer works and where to go.
func TestBookingURLsCarryNoHealthWords(t *testing.T) {
	_, web, a := startBookingGateway(t) // bookflow_test.go
	ctx := t.Context()
	d := a.Diary()
	day := time.Now().AddDate(0, 0, 3)
	for i, ty := range []booking.TimeType{
		{ID: "psykolog-30", StaffName: "Psykologbesök", PatientName: "Besök", Minutes: 30},
		{ID: "preventiv-samtal", StaffName: "Preventivmedelssamtal", PatientName: "Återbesök", Minutes: 30},
	} {
		ty.Clinicians, ty.Online, ty.Rebook, ty.RebookHours, ty.Cancel, ty.CancelHours = []string{clinician.HSAID}, true, true, 1, true, 1
		if err := d.PutType(ctx, ty); err != nil {
			t.Fatal(err)
		}
		if err := d.PutTemplate(ctx, booking.Template{ID: ty.ID, Clinician: clinician.HSAID, TypeID: ty.ID,
			Weekday: booking.Local(day).Weekday(), Start: []string{"09:00", "13:00"}[i], Count: 2,
			From: booking.Local(day).Format(time.DateOnly), Until: booking.Local(day).Format(time.DateOnly)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Generate(ctx, 8); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := web.do(http.MethodPost, "/logga-in", url.Values{"pnr": {patientPNR}, "name": {patientName}}); st != http.StatusSeeOther {
		t.Fatalf("login: %d", st)
	}
	start := "/boka/" + unit
	waitFor(t, "the types on the patient pages", func() bool {
		_, _, page := web.do(http.MethodGet, start, nil)
		return strings.Contains(page, "Återbesök") && strings.Contains(page, "Besök")
	})

	// Walk every page reachable from /boka/{unit}: the addresses visited,
	// the forms' targets, the redirects.
	var seen []string
	visited := map[string]bool{}
	queue := []string{start}
	var forms []string
	for len(queue) > 0 && len(visited) < 60 {
		u := strings.ReplaceAll(queue[0], "&amp;", "&")
		queue = queue[1:]
		if visited[u] {
			continue
		}
		visited[u] = true
		seen = append(seen, u)
		_, loc, page := web.do(http.MethodGet, u, nil)
		if loc != "" {
			seen = append(seen, loc)
		}
		for _, m := range pageLink.FindAllStringSubmatch(page, -1) {
			link := strings.ReplaceAll(m[1], "&amp;", "&")
			seen = append(seen, link)
			if strings.Contains(m[0], "action=") {
				forms = append(forms, link)
			} else if !visited[link] {
				queue = append(queue, link)
			}
		}
	}
	// Book a time: the form's target, the redirect, the answer page.
	for _, f := range forms {
		if strings.Contains(f, "/tid/") {
			_, loc, _ := web.do(http.MethodPost, f, url.Values{})
			seen = append(seen, f, loc)
			if loc != "" {
				_, _, _ = web.do(http.MethodGet, loc, nil)
			}
			break
		}
	}
	if len(visited) < 3 {
		t.Fatalf("walked only %v", seen)
	}
	for _, u := range seen {
		for _, w := range append([]string{"psykolog-30", "preventiv-samtal"}, urlHealthWords...) {
			if strings.Contains(u, w) { // case-sensitive: opaque ids are upper-case base32
				t.Errorf("the address %s holds %q", u, w)
			}
		}
	}

	// A link from before: a clear page, and the types to choose from.
	st, _, page := web.do(http.MethodGet, start+"?typ=psykolog-30", nil)
	if st != http.StatusNotFound || !strings.Contains(page, "Länken gäller inte längre") || !strings.Contains(page, "Återbesök") {
		t.Errorf("an old link: %d\n%.2000s", st, page)
	}
}
