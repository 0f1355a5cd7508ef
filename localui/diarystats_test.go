package localui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"clinicgw/agent/democlinic"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/personnummer"
)

// bookForStats books two of clinician A's times on 2026-11-24 by phone
// and cancels one with a reason: 2 bookings, 1 cancellation.
func (c *clinic) bookForStats(dist *browser) {
	c.t.Helper()
	pnr := string(personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 982))
	c.pnrs = append(c.pnrs, pnr)
	s1, s2 := diarySlot("2026-11-24", "08:00", hsaClinA), diarySlot("2026-11-24", "08:30", hsaClinA)
	for _, f := range []struct {
		path string
		v    url.Values
	}{
		{"/diary/book", url.Values{"slot": {s1}, "pnr": {pnr}}},
		{"/diary/book", url.Values{"slot": {s2}, "pnr": {pnr}}},
		{"/diary/cancel", url.Values{"slot": {s2}, "reason": {"Dubbelbokad"}}},
	} {
		if r, body := dist.form(f.path, f.v); r.StatusCode != http.StatusSeeOther {
			c.t.Fatalf("%s: %s %.300s", f.path, r.Status, body)
		}
	}
}

// TestDiaryStatsPage: the unit administrator's booking statistics, by
// role (the administrator only), with the counts per type and clinician,
// the online figure, the CSV download, and a month that cannot be read
// answered with what to write.
func TestDiaryStatsPage(t *testing.T) {
	c := startClinic(t)
	admin, dist := c.login(hsaAdmin), c.login(hsaDist)
	c.setDiary(admin)
	c.bookForStats(dist)
	for _, tc := range []struct {
		who  string
		path string
		want int
	}{
		{hsaAdmin, "/admin/diary/stats", 200},
		{hsaAdmin, "/admin/diary/stats.csv", 200},
		{hsaAdmin, "/admin/diary/stats?from=2026-13", 400},
		{hsaAdmin, "/admin/diary/stats?from=2026-12&to=2026-11", 400},
		{hsaDist, "/admin/diary/stats", 403},
		{hsaClinA, "/admin/diary/stats", 403},
		{hsaClinA, "/admin/diary/stats.csv", 403},
		{hsaAudit, "/admin/diary/stats", 403},
	} {
		if r := c.login(tc.who).get(tc.path); r.StatusCode != tc.want {
			t.Errorf("%s GET %s: %d, want %d", tc.who, tc.path, r.StatusCode, tc.want)
		}
	}
	nameA := ""
	for _, m := range democlinic.Staff {
		if m.HSAID == hsaClinA {
			nameA = m.Name()
		}
	}
	r, body := admin.getBody("/admin/diary/stats?from=2026-11&to=2026-11")
	if r.StatusCode != 200 {
		t.Fatalf("stats: %s", r.Status)
	}
	for _, want := range []string{
		`id="fig-share"`, `id="fig-aim"`, "Bokningar 2026-11 – 2026-11",
		`<th scope="row"><bdi>Mottagningsbesök</bdi></th><td>2</td><td>0</td><td>0 %</td><td>1</td><td>0</td><td>0</td>`,
		`<th scope="row"><bdi>` + nameA + `</bdi></th><td>2</td>`,
		`href="/admin/diary/stats.csv?from=2026-11&amp;to=2026-11"`,
	} {
		if !strings.Contains(body, want) {
			i := strings.Index(body, "stats.csv")
			t.Errorf("the page lacks %q: %.200s", want, body[max(i-20, 0):])
		}
	}
	if strings.Contains(body, "19750314") {
		t.Error("the statistics show a personnummer")
	}
	if _, body := admin.getBody("/admin/diary/stats?from=2027-01&to=2027-02"); !strings.Contains(body, `id="no-bookings"`) {
		t.Error("a period without bookings does not say so")
	}
	if _, body := admin.getBody("/admin/diary/stats?from=2026-13"); !strings.Contains(body, "Skriv den som ÅÅÅÅ-MM") {
		t.Errorf("a bad month is not explained: %.300s", body)
	}
	r, csv := admin.getBody("/admin/diary/stats.csv?from=2026-11&to=2026-11")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(r.Header.Get("Content-Disposition"), "bokningar-2026-11-2026-11.csv") {
		t.Errorf("CSV headers: %q %q", ct, r.Header.Get("Content-Disposition"))
	}
	for _, want := range []string{
		"\uFEFFDel;Namn;Bokningar;",
		"Tidstyp;Mottagningsbesök;2;0;0;1;0;0",
		"Behandlare;" + nameA + ";2;0;0;1;0;0",
		"Totalt;2026-11 – 2026-11;2;0;0;1;0;0",
		"Månad, tidstyp och behandlare;2026-11: Mottagningsbesök: " + nameA + ";2;0;0;1;0;0",
		"Tider på webben;Veckor framåt;",
	} {
		if !strings.Contains(csv, want) {
			t.Errorf("the CSV lacks %q:\n%s", want, csv)
		}
	}
}

// TestAxeDiaryStats: axe-core on the booking statistics, in Swedish and
// English: no serious or critical violation.
func TestAxeDiaryStats(t *testing.T) {
	c := startClinic(t)
	admin := c.login(hsaAdmin)
	c.setDiary(admin)
	c.bookForStats(c.login(hsaDist))
	b := uitest.NewBrowser(t)
	tab := b.NewTab(t)
	useSession(t, tab, admin)
	for _, lang := range []string{"sv", "en"} {
		for _, p := range []string{"/admin/diary/stats?from=2026-11&to=2026-11", "/admin/diary/stats?from=2027-01&to=2027-01", "/admin/diary"} {
			tab.Navigate(c.origin + p)
			var got string
			tab.Eval(`document.documentElement.lang`, &got)
			if got != lang {
				t.Errorf("%s: the page is in %q, want %q", p, got, lang)
			}
			for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
				t.Errorf("%s (%s): %s (%s): %s %v", p, lang, v.ID, v.Impact, v.Help, v.Nodes)
			}
		}
		if lang == "sv" {
			run(t, tab, "in English", chromedp.Click(`form[action="/lang"] button`), chromedp.WaitReady(`html[lang="en"]`))
			tab.Navigate(c.origin + "/admin/diary/stats?from=2026-11&to=2026-11")
			if got := tab.Text(`#bk-h`); !strings.Contains(got, "Bookings 2026-11") {
				t.Errorf("in English the heading says %q", got)
			}
		}
	}
}
