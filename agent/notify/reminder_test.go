package notify_test

import (
	"context"
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/agent/notify/notifytest"
	"clinicgw/sync/wire/personnummer"
)

// healthWords are words a reminder must never carry: the canary list. A
// reminder says when and where, never why.
var healthWords = []string{
	"psykolog", "psykiatri", "kurator", "bvc", "barnavård", "mödravård", "abort", "sti", "klamydia", "hiv",
	"missbruk", "beroende", "alkohol", "depression", "ångest", "ätstörning", "cancer", "onkolog", "diabetes",
	"graviditet", "preventiv", "vaccin", "smitt", "sjukdom", "diagnos", "behandling", "läkemedel", "recept",
}

// canary fails the test if text holds a personnummer (any of its
// written forms), the clinician's HSA-ID or display name, the patient's
// name, the type's staff or patient name, or a health word.
func canary(t *testing.T, what, text string, forbidden ...string) {
	t.Helper()
	low := strings.ToLower(text)
	for _, f := range forbidden {
		if f != "" && strings.Contains(low, strings.ToLower(f)) {
			t.Errorf("%s holds %q:\n%s", what, f, text)
		}
	}
	for _, w := range healthWords {
		if regexp.MustCompile(`(?i)(^|[^\pL])` + regexp.QuoteMeta(w)).MatchString(low) {
			t.Errorf("%s holds the health word %q:\n%s", what, w, text)
		}
	}
	// Any number a personnummer could be written as (10 or 12 digits,
	// with or without its separator) that reads as one.
	for _, m := range regexp.MustCompile(`(\d{2})?\d{6}[-+]?\d{4}`).FindAllString(text, -1) {
		if _, err := personnummer.Parse(m, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)); err == nil {
			t.Errorf("%s holds a personnummer %q:\n%s", what, m, text)
		}
	}
}

// TestReminderOverSMTPAndSMS: a booking on the autumn daylight-saving day
// of a type whose names reveal health; the patient consented to SMS and
// e-mail. With the mail server down at the reminder's instant the SMS
// goes and the e-mail waits; the server back, the e-mail arrives once,
// through a real SMTP exchange, with nothing but the allowed fields (its
// golden file), the Stockholm time of the visit, and no canary: no
// personnummer, no name, no clinician, no health word.
func TestReminderOverSMTPAndSMS(t *testing.T) {
	f := newFixture(t, "127.0.0.1:0")
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const clin, staff = "SE2321000016-K001", "SE2321000016-S001"
	const clinName, patientName = "Doktor Dolittle", "Tolvan Tolvansson"
	f.clock.Set(time.Date(2026, 10, 20, 8, 0, 0, 0, time.UTC))
	d, err := booking.New(booking.OnStore(f.db), booking.Options{Clock: f.clock})
	must(err)
	typ := booking.TimeType{ID: "psyk-45", StaffName: "Psykologbesök BVC", PatientName: "Psykologbesök", Minutes: 45,
		Clinicians: []string{clin}, Online: true, Cancel: true, Reminder: true, ReminderHours: 24, ShowClinician: true}
	must(d.PutType(ctx, typ))
	must(d.PutTemplate(ctx, booking.Template{ID: "sondag", Clinician: clin, TypeID: typ.ID, Weekday: time.Sunday,
		Start: "10:00", Count: 1, From: "2026-10-01"}))
	_, err = d.Generate(ctx, 1)
	must(err)
	visitAt := time.Date(2026, 10, 25, 9, 0, 0, 0, time.UTC) // 10:00 CET, the day summer time ends
	free, err := d.FreeTimes(ctx, booking.FreeQuery{From: visitAt, To: visitAt.Add(time.Minute)})
	must(err)
	if len(free) != 1 {
		t.Fatalf("free times at %v: %+v", visitAt, free)
	}
	pnr := personnummer.Synthetic(time.Date(1984, 2, 29, 0, 0, 0, 0, time.UTC), 982)
	_, err = d.Book(ctx, free[0].ID, booking.Actor{Staff: staff}, booking.BookRequest{Patient: string(pnr),
		Remind: &booking.ReminderContact{Mobile: "+46701234567", Email: "patient@example.se"}})
	must(err)
	rm, err := booking.NewReminders(d, booking.ReminderConfig{UnitName: unitName, Sender: f.n,
		Link:    "https://e-tjanst.example.se/boka/SE2321000016-TEST",
		Address: func(context.Context) (string, error) { return "Storgatan 1\n123 45 Småstad", nil }})
	must(err)
	send := func() int {
		t.Helper()
		n, err := rm.Send(ctx)
		must(err)
		return n
	}

	// Down: the address stays held here, every connection cut at once.
	addr := f.mail.Addr
	f.mail.Close()
	held, err := net.Listen("tcp", addr)
	must(err)
	go func() {
		for {
			c, err := held.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	f.clock.Set(visitAt.Add(-24*time.Hour - time.Second))
	if n := send(); n != 0 {
		t.Fatalf("%d reminders before their instant", n)
	}
	f.clock.Set(visitAt.Add(-24 * time.Hour)) // 11:00 CEST on Saturday
	if n := send(); n != 1 {
		t.Fatalf("at the instant with the mail server down: %d sent, want the SMS only", n)
	}
	held.Close()
	back := notifytest.Start(t, addr, false)
	f.clock.Advance(booking.MinReminderRetry)
	if n := send(); n != 1 {
		t.Fatalf("mail server back: %d sent, want the e-mail", n)
	}
	f.clock.Advance(time.Hour)
	if n := send(); n != 0 {
		t.Fatalf("%d sent again", n)
	}

	forbidden := []string{string(pnr), strings.ReplaceAll(string(pnr), "-", ""), string(pnr)[2:], clin, clinName,
		patientName, typ.StaffName, typ.PatientName, staff}
	msgs := back.Messages()
	if len(msgs) != 1 {
		t.Fatalf("the mail server took %d messages, want 1", len(msgs))
	}
	canary(t, "the reminder as sent over SMTP", msgs[0].Data, forbidden...)
	subject, body, h := readMail(t, msgs[0].Data)
	canary(t, "the reminder's subject and body", subject+"\n"+body, forbidden...)
	if len(msgs[0].To) != 1 || msgs[0].To[0] != "patient@example.se" || h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("envelope to %q, Auto-Submitted %q", msgs[0].To, h.Get("Auto-Submitted"))
	}
	checkGolden(t, "reminder.txt", map[string]string{msgs[0].To[0] + " " + subject: body})
	if !strings.Contains(body, "söndag 25 oktober 2026 kl. 10:00") {
		t.Errorf("the reminder does not say the visit's local time:\n%s", body)
	}

	f.sms.mu.Lock()
	bodies := append([]string(nil), f.sms.bodies...)
	f.sms.mu.Unlock()
	if len(bodies) != 1 {
		t.Fatalf("the SMS gateway got %d requests, want 1", len(bodies))
	}
	var sms struct{ To, Text string }
	must(json.Unmarshal([]byte(bodies[0]), &sms))
	canary(t, "the SMS", sms.Text, forbidden...)
	want := "Påminnelse: Du har en tid hos " + unitName + " söndag 25 oktober 2026 kl. 10:00. Adress: Storgatan 1, 123 45 Småstad. Se din bokning: https://e-tjanst.example.se/boka/SE2321000016-TEST"
	if sms.To != "+46701234567" || sms.Text != want {
		t.Errorf("SMS to %s:\n got %q\nwant %q", sms.To, sms.Text, want)
	}
	if strings.Contains(f.logs.String(), "example.se") || strings.Contains(f.logs.String(), "4670") || strings.Contains(f.logs.String(), string(pnr)) {
		t.Errorf("the log holds an address or a personnummer:\n%s", f.logs)
	}
}
