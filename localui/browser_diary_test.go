package localui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/personnummer"
)

// TestBrowserDiary: in Chromium, the unit administrator defines a time
// type and clinician A's Tuesday template and generates the times;
// clinician A has their week open; the message administrator books a
// time by phone for a synthetic patient, and the clinician's open week
// shows it without a reload; the message administrator cancels it with a
// reason, and the clinician's week shows it free again.
func TestBrowserDiary(t *testing.T) {
	c := startClinic(t)
	pnr := string(personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 982))
	c.pnrs = append(c.pnrs, pnr)
	shown := pnr[:8] + "-" + pnr[8:]
	b := uitest.NewBrowser(t)
	admin, clin, dist := b.NewTab(t), b.NewTab(t), b.NewTab(t)
	useSession(t, admin, c.login(hsaAdmin))
	useSession(t, clin, c.login(hsaClinA))
	useSession(t, dist, c.login(hsaDist))

	run(t, admin, "a time type", chromedp.Navigate(c.origin+"/admin/diary"),
		chromedp.SendKeys(`#ty-id`, "besok-30", chromedp.ByQuery), chromedp.SendKeys(`#ty-staff`, "Mottagningsbesök", chromedp.ByQuery),
		chromedp.SendKeys(`#ty-patient`, "Besök", chromedp.ByQuery), chromedp.Click(`#save-type`, chromedp.ByQuery),
		chromedp.WaitVisible(`#type-besok-30`, chromedp.ByQuery))
	run(t, admin, "a template", chromedp.SetValue(`#tm-clin`, hsaClinA, chromedp.ByQuery), chromedp.SetValue(`#tm-wd`, "2", chromedp.ByQuery),
		chromedp.SetValue(`#tm-count`, "4", chromedp.ByQuery), chromedp.SendKeys(`#tm-from`, "2026-11-01", chromedp.ByQuery),
		chromedp.Click(`#save-template`, chromedp.ByQuery), chromedp.WaitVisible(`#tm-h ~ table`, chromedp.ByQuery))
	run(t, admin, "generate", chromedp.Click(`#generate`, chromedp.ByQuery), chromedp.WaitVisible(`#gen-report`, chromedp.ByQuery))
	if got := admin.Text(`#gen-report`); !strings.Contains(got, "Skapade 32 tider") {
		t.Errorf("the generation says %q, want 32 times (8 Tuesdays × 4)", got)
	}
	if got := admin.Text(`#fig-share`); !strings.Contains(got, "100 procent av 32") {
		t.Errorf("the online figure says %q", got)
	}

	s1 := diarySlot("2026-11-24", "08:00", hsaClinA)
	row := `#t-` + s1
	run(t, clin, "the clinician's week", chromedp.Navigate(c.origin+"/diary?date=2026-11-24"),
		chromedp.WaitVisible(row+`[data-state="free"]`, chromedp.ByQuery), chromedp.WaitReady(`body[data-watching="1"]`, chromedp.ByQuery))

	run(t, dist, "book by phone", chromedp.Navigate(c.origin+"/diary?who="+hsaClinA+"&view=day&date=2026-11-24"),
		chromedp.SendKeys(`#pnr-`+s1, shown, chromedp.ByQuery), chromedp.Click(row+` form[action="/diary/book"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`.flash`, chromedp.ByQuery))
	if got := dist.Text(`.flash`); !strings.Contains(got, "Tiden är bokad") {
		t.Errorf("after the booking: %q", got)
	}
	var url string
	dist.Eval(`location.href`, &url)
	if strings.Contains(url, pnr[2:8]) {
		t.Errorf("the personnummer is in the address: %s", url)
	}
	run(t, clin, "the booking shows live", chromedp.WaitVisible(row+`[data-state="booked"]`, chromedp.ByQuery))
	if got := clin.Text(row); !strings.Contains(got, shown) {
		t.Errorf("the clinician's row shows %q", got)
	}

	run(t, dist, "cancel with a reason", chromedp.SendKeys(`#reason-`+s1, "Patienten ringde och avbokade", chromedp.ByQuery),
		chromedp.Click(row+` form[action="/diary/cancel"] button`, chromedp.ByQuery), chromedp.WaitVisible(row+`[data-state="free"]`, chromedp.ByQuery))
	if got := dist.Text(`.flash`); !strings.Contains(got, "avbokad") {
		t.Errorf("after the cancel: %q", got)
	}
	run(t, clin, "the cancel shows live", chromedp.WaitVisible(row+`[data-state="free"]`, chromedp.ByQuery))
	for _, tab := range []*uitest.Tab{admin, clin, dist} {
		for _, e := range tab.ConsoleErrors() {
			if !strings.Contains(e, "/favicon.ico") {
				t.Errorf("console error: %q", e)
			}
		}
	}
}

// TestAxeDiaryPages: axe-core on the diary's pages — the administrator's
// (with a refused form), the message administrator's unit week and a
// clinician's day with a booked time and a decline at its place — in
// Swedish and English: no serious or critical violation.
func TestAxeDiaryPages(t *testing.T) {
	c := startClinic(t)
	admin, dist := c.login(hsaAdmin), c.login(hsaDist)
	c.setDiary(admin)
	pnr := string(personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 982))
	c.pnrs = append(c.pnrs, pnr)
	s1 := diarySlot("2026-11-24", "08:00", hsaClinA)
	if r, body := dist.form("/diary/book", map[string][]string{"slot": {s1}, "pnr": {pnr}}); r.StatusCode != 303 {
		t.Fatalf("book: %s %.300s", r.Status, body)
	}
	b := uitest.NewBrowser(t)
	pages := map[string][]string{
		hsaAdmin: {"/admin/diary"},
		hsaDist:  {"/diary", "/diary?who=" + hsaClinA + "&view=day&date=2026-11-24"},
		hsaClinA: {"/diary?date=2026-11-24"},
	}
	for who, paths := range pages {
		tab := b.NewTab(t)
		useSession(t, tab, c.login(who))
		for _, lang := range []string{"sv", "en"} {
			for _, p := range paths {
				tab.Navigate(c.origin + p)
				var got string
				tab.Eval(`document.documentElement.lang`, &got)
				if got != lang {
					t.Errorf("%s %s: the page is in %q, want %q", who, p, got, lang)
				}
				for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
					t.Errorf("%s %s (%s): %s (%s): %s %v", who, p, lang, v.ID, v.Impact, v.Help, v.Nodes)
				}
			}
			if who == hsaDist {
				// A decline at its place: a personnummer that is not one.
				s2 := diarySlot("2026-11-24", "08:30", hsaClinA)
				run(t, tab, "a decline", chromedp.Navigate(c.origin+"/diary?who="+hsaClinA+"&view=day&date=2026-11-24"),
					chromedp.SendKeys(`#pnr-`+s2, "19800101-0000", chromedp.ByQuery),
					chromedp.Click(`#t-`+s2+` form[action="/diary/book"] button`, chromedp.ByQuery),
					chromedp.WaitVisible(`#err-`+s2, chromedp.ByQuery))
				want := map[string]string{"sv": "Bokningen är ofullständig eller felaktig", "en": "The booking is incomplete or wrong"}[lang]
				if got := tab.Text(`#err-` + s2); !strings.Contains(got, want) {
					t.Errorf("the decline at the time says %q, want %q", got, want)
				}
				for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
					t.Errorf("the decline (%s): %s (%s): %s %v", lang, v.ID, v.Impact, v.Help, v.Nodes)
				}
			}
			if lang == "sv" {
				run(t, tab, "in English", chromedp.Click(`form[action="/lang"] button`), chromedp.WaitReady(`html[lang="en"]`))
			}
		}
	}
	// The administrator's refused form, with the error on the page.
	tab := b.NewTab(t)
	useSession(t, tab, admin)
	run(t, tab, "a refused type", chromedp.Navigate(c.origin+"/admin/diary"),
		chromedp.SendKeys(`#ty-id`, "x y", chromedp.ByQuery), chromedp.SendKeys(`#ty-staff`, "A", chromedp.ByQuery),
		chromedp.SendKeys(`#ty-patient`, "B", chromedp.ByQuery), chromedp.Click(`#save-type`, chromedp.ByQuery), chromedp.WaitVisible(`.error`, chromedp.ByQuery))
	for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
		t.Errorf("/admin/diary refused: %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
	}
}
