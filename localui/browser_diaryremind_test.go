package localui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"clinicgw/agent/booking"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/personnummer"
)

// TestBrowserPhoneBookingReminder: in Chromium, by keyboard only, the
// message administrator types the personnummer, opens "Påminnelse",
// ticks the patient's consent, types the mobile number and the e-mail
// address, chooses English and books; the diary keeps the consent with
// the booking. The form with its reminder part open passes axe-core in
// Swedish and English.
func TestBrowserPhoneBookingReminder(t *testing.T) {
	c := startClinic(t)
	c.setReminderDiary(c.login(hsaAdmin))
	pnr := string(personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 984))
	c.pnrs = append(c.pnrs, pnr)
	s1, s2 := diarySlot("2026-11-24", "08:00", hsaClinA), diarySlot("2026-11-24", "08:30", hsaClinA)
	b := uitest.NewBrowser(t)
	tab := b.NewTab(t)
	useSession(t, tab, c.login(hsaDist))
	day := c.origin + "/diary?who=" + hsaClinA + "&view=day&date=2026-11-24"
	var active string
	focused := func(what, want string) {
		t.Helper()
		run(t, tab, what, chromedp.Evaluate(`document.activeElement.id || document.activeElement.tagName`, &active))
		if active != want {
			t.Fatalf("%s: the focus is on %q, want %q", what, active, want)
		}
	}
	run(t, tab, "the day", chromedp.Navigate(day), chromedp.WaitVisible(`#t-`+s1+`[data-state="free"]`, chromedp.ByQuery))
	run(t, tab, "the personnummer", chromedp.Focus(`#pnr-`+s1, chromedp.ByQuery), chromedp.SendKeys(`#pnr-`+s1, pnr, chromedp.ByQuery))
	run(t, tab, "tab", chromedp.KeyEvent(kb.Tab))
	focused("to the reminder", "SUMMARY")
	run(t, tab, "open it", chromedp.KeyEvent(kb.Enter), chromedp.KeyEvent(kb.Tab))
	focused("to the consent", "rm-"+s1)
	run(t, tab, "tick it", chromedp.KeyEvent(" "), chromedp.KeyEvent(kb.Tab))
	focused("to the mobile number", "rm-mobile-"+s1)
	run(t, tab, "the number", chromedp.KeyEvent("+46701234567"), chromedp.KeyEvent(kb.Tab))
	focused("to the e-mail address", "rm-email-"+s1)
	run(t, tab, "the address", chromedp.KeyEvent("patient@example.se"), chromedp.KeyEvent(kb.Tab))
	focused("to the language", "rm-lang-"+s1)
	run(t, tab, "English", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Tab))
	run(t, tab, "book", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(`.flash`, chromedp.ByQuery))
	if got := tab.Text(`.flash`); !strings.Contains(got, "Tiden är bokad") {
		t.Errorf("after the booking: %q", got)
	}
	sl, err := c.gw.Diary().Slot(t.Context(), booking.SlotID(s1))
	if err != nil {
		t.Fatal(err)
	}
	if sl.Booking == nil || sl.Booking.Remind == nil || *sl.Booking.Remind != (booking.ReminderContact{Mobile: "+46701234567", Email: "patient@example.se", Lang: "en"}) {
		t.Fatalf("the booking's reminder consent: %+v", sl.Booking)
	}

	for _, lang := range []string{"sv", "en"} {
		run(t, tab, "the reminder part open", chromedp.Navigate(day),
			chromedp.Click(`#t-`+s2+` details.remind summary`, chromedp.ByQuery), chromedp.WaitVisible(`#rm-email-`+s2, chromedp.ByQuery))
		want := map[string]string{"sv": "Patienten vill ha en påminnelse", "en": "The patient wants a reminder"}[lang]
		if got := tab.Text(`#t-` + s2 + ` details.remind`); !strings.Contains(got, want) {
			t.Errorf("%s: the reminder part says %q", lang, got)
		}
		for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
			t.Errorf("the booking form with a reminder (%s): %s (%s): %s %v", lang, v.ID, v.Impact, v.Help, v.Nodes)
		}
		if lang == "sv" {
			run(t, tab, "in English", chromedp.Click(`form[action="/lang"] button`), chromedp.WaitReady(`html[lang="en"]`))
		}
	}
}
