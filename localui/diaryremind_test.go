package localui_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/agent/notify"
	"clinicgw/agent/notify/notifytest"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// noRecipients: the notifier here sends reminders only.
type noRecipients struct{}

func (noRecipients) UnitEmail(context.Context) (string, error) { return "", nil }
func (noRecipients) Staff(context.Context, string) (string, string, error) {
	return "", "", nil
}

// setReminderDiary gives clinician A four times on Tuesdays from 08:00
// of a type with reminders 12 hours before.
func (c *clinic) setReminderDiary(admin *browser) {
	c.t.Helper()
	for _, f := range []url.Values{
		{"op": {"type"}, "id": {"besok-30"}, "staffName": {"Mottagningsbesök"}, "patientName": {"Besök"}, "minutes": {"30"},
			"online": {"on"}, "reminder": {"on"}, "reminderHours": {"12"}},
		{"op": {"template"}, "clinician": {hsaClinA}, "type": {"besok-30"}, "weekday": {"2"}, "start": {"08:00"}, "count": {"4"}, "from": {"2026-11-01"}},
		{"op": {"generate"}},
	} {
		if r, body := admin.form("/admin/diary", f); r.StatusCode != http.StatusSeeOther && r.StatusCode != http.StatusOK {
			c.t.Fatalf("POST /admin/diary %s: %s\n%.400s", f.Get("op"), r.Status, body)
		}
	}
}

// TestPhoneBookingReminderConsent: the message administrator books two
// times by phone, one with the patient's consent to a reminder by e-mail
// given on the form, one without. At the reminder's instant the diary's
// reminders go through a real SMTP exchange: the booking with consent
// gets its one mail, saying the time; the one without gets none. Consent
// with no address, or a bad one, is refused with a message and books
// nothing.
func TestPhoneBookingReminderConsent(t *testing.T) {
	c := startClinic(t)
	dist := c.login(hsaDist)
	c.setReminderDiary(c.login(hsaAdmin))
	with := string(personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 982))
	without := string(personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 983))
	c.pnrs = append(c.pnrs, with, without)
	s1, s2, s3 := diarySlot("2026-11-24", "08:00", hsaClinA), diarySlot("2026-11-24", "08:30", hsaClinA), diarySlot("2026-11-24", "09:00", hsaClinA)

	for _, tc := range []struct {
		name string
		form url.Values
		says string
	}{
		{"consent without an address", url.Values{"slot": {s3}, "pnr": {with}, "remind": {"on"}}, "mobilnummer eller en e-postadress"},
		{"a bad address", url.Values{"slot": {s3}, "pnr": {with}, "remind": {"on"}, "remindEmail": {"inte en adress"}}, "mobilnummer eller en e-postadress"},
	} {
		r, body := dist.form("/diary/book", tc.form)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %s\n%.600s", tc.name, r.Status, body)
		}
	}
	if sl, err := c.gw.Diary().Slot(t.Context(), booking.SlotID(s3)); err != nil || sl.State != booking.Free {
		t.Fatalf("after the refused bookings: %v, %v", sl.State, err)
	}

	if r, body := dist.form("/diary/book", url.Values{"slot": {s1}, "pnr": {with}, "remind": {"on"},
		"remindEmail": {"patient@example.se"}, "remindLang": {"sv"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("book with consent: %s\n%.400s", r.Status, body)
	}
	if r, body := dist.form("/diary/book", url.Values{"slot": {s2}, "pnr": {without}, "remindEmail": {"ignored@example.se"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("book without consent: %s\n%.400s", r.Status, body)
	}

	mail := notifytest.Start(t, "127.0.0.1:0", false)
	mailer, err := notify.NewMailer(notify.SMTPConfig{Addr: mail.Addr, Username: mail.User, Password: mail.Pass,
		From: "clinicgw <noreply@vc.example.se>", RootCAs: mail.Roots, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(notify.Config{UnitName: testUnitName, Queue: c.gw.Store(), Recipients: noRecipients{}, Mailer: mailer,
		Clock: c.clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rm, err := booking.NewReminders(c.gw.Diary(), booking.ReminderConfig{UnitName: testUnitName, Sender: n})
	if err != nil {
		t.Fatal(err)
	}
	// 12 hours before 08:00 and 08:30 on Tuesday: 20:00 and 20:30 on Monday.
	c.clock.Set(time.Date(2026, 11, 23, 20, 30, 0, 0, workday.Stockholm()))
	sent, err := rm.Send(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	msgs := mail.Messages()
	if sent != 1 || len(msgs) != 1 {
		t.Fatalf("%d reminders sent, %d mails; want one, the booking with consent's", sent, len(msgs))
	}
	if msgs[0].To[0] != "patient@example.se" || !strings.Contains(msgs[0].Data, "kl. 08:00") {
		t.Errorf("the reminder to %v:\n%s", msgs[0].To, msgs[0].Data)
	}
	if strings.Contains(msgs[0].Data, "ignored@example.se") || strings.Contains(strings.Join(msgs[0].To, ","), "ignored") {
		t.Error("the booking without consent got a reminder")
	}
}
