package uplink

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/agent/notify"
	"clinicgw/agent/notify/notifytest"
	"clinicgw/sync/central"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/personnummer"
)

// noRecipients: the reminder test's notifier sends no notices of its own.
type noRecipients struct{}

func (noRecipients) UnitEmail(context.Context) (string, error)             { return "", nil }
func (noRecipients) Staff(context.Context, string) (string, string, error) { return "", "", nil }

// TestBookingReminderEndToEnd: a patient says at the real central store
// that they want reminders by e-mail, in English, and books a time; the
// choice travels with the request over mutual TLS into the gateway's
// diary, and at the reminder's instant (the diary's clock) the reminder
// arrives at a real SMTP server, in English, saying the Stockholm time,
// without the patient's personnummer or the type's names. The patient
// then withdraws the consent and moves the booking: the new time gets no
// reminder.
func TestBookingReminderEndToEnd(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	now := time.Now().UTC().Truncate(time.Second)
	clk := clocktest.New(now)
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { cfg.PushInterval = 50 * time.Millisecond })
	d, err := booking.New(booking.OnStore(g.db), booking.Options{Clock: clk})
	must(t, err)
	g.cfg.Booking = booking.SyncSource{Diary: d, Weeks: 2}
	g.restartUplink()
	visit := booking.TimeType{ID: "psyk-30", StaffName: "Psykologbesök", PatientName: "Psykologsamtal", Minutes: 30,
		Clinicians: []string{clin}, Online: true, Rebook: true, Cancel: true, Reminder: true, ReminderHours: 24}
	must(t, d.PutType(ctx, visit))
	must(t, d.PutTemplate(ctx, booking.Template{ID: "t", Clinician: clin, TypeID: visit.ID,
		Weekday: booking.Local(now.AddDate(0, 0, 3)).Weekday(), Start: "09:00", Count: 2, From: now.Format(time.DateOnly)}))
	_, err = d.Generate(ctx, 2)
	must(t, err)
	g.start()
	var free []wire.BookingTime
	waitFor(t, 30*time.Second, "the free times published", func() bool {
		c.mu.RLock()
		defer c.mu.RUnlock()
		free, err = c.store.FreeBookingTimes(ctx, unit, publicType(t, d, visit.ID))
		return err == nil && len(free) >= 2
	})
	pnr := string(personnummer.Synthetic(time.Date(1980, 4, 1, 0, 0, 0, 0, time.UTC), 981))
	must(t, c.store.SetReminderChoice(ctx, pnr, &wire.BookingReminder{Email: "patient@example.se", Lang: "en"}))
	ask := func(kind wire.BookingKind, timeID, from string) {
		t.Helper()
		id, err := c.store.RequestBooking(ctx, unit, pnr, kind, timeID, from)
		must(t, err)
		waitFor(t, 30*time.Second, "the request confirmed", func() bool {
			st, err := c.store.BookingRequestOf(ctx, unit, pnr, id)
			return err == nil && st.State == central.RequestConfirmed
		})
	}
	ask(wire.BookingBook, free[0].ID, "")
	first, err := d.Resolve(ctx, free[0].ID) // the published id is opaque
	must(t, err)
	s, err := d.Slot(ctx, first)
	must(t, err)
	if s.Booking == nil || s.Booking.Remind == nil || *s.Booking.Remind != (booking.ReminderContact{Email: "patient@example.se", Lang: "en"}) {
		t.Fatalf("the gateway's booking: %+v", s.Booking)
	}

	mail := notifytest.Start(t, "127.0.0.1:0", false)
	mailer, err := notify.NewMailer(notify.SMTPConfig{Addr: mail.Addr, Username: mail.User, Password: mail.Pass,
		From: "clinicgw <noreply@vc.example.se>", RootCAs: mail.Roots, Timeout: 5 * time.Second})
	must(t, err)
	n, err := notify.New(notify.Config{UnitName: "Vårdcentralen Test", Queue: g.db, Recipients: noRecipients{},
		Mailer: mailer, Clock: clk, Logger: slog.New(slog.DiscardHandler)})
	must(t, err)
	rm, err := booking.NewReminders(d, booking.ReminderConfig{UnitName: "Vårdcentralen Test", Sender: n,
		Link: "https://e-tjanst.example.se/boka/" + unit})
	must(t, err)
	clk.Set(free[0].Start.Add(-24 * time.Hour))
	if sent, err := rm.Send(ctx); err != nil || sent != 1 {
		t.Fatalf("at the reminder's instant: %d sent (%v), want 1", sent, err)
	}
	msgs := mail.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "patient@example.se" {
		t.Fatalf("the mail server took %+v", msgs)
	}
	flat := strings.ReplaceAll(msgs[0].Data, "=\r\n", "")
	if !strings.Contains(flat, "at "+booking.Local(free[0].Start).Format("15:04")) || !strings.Contains(flat, "You have an appointment") {
		t.Errorf("the reminder is not the English one with the visit's local time:\n%s", msgs[0].Data)
	}
	for _, canary := range []string{pnr, pnr[2:], "sykolog", clin} {
		if strings.Contains(msgs[0].Data, canary) {
			t.Errorf("the reminder carries %q:\n%s", canary, msgs[0].Data)
		}
	}

	// Consent withdrawn, then the booking moved: no reminder of the new
	// time.
	clk.Set(now)
	must(t, c.store.SetReminderChoice(ctx, pnr, nil))
	ask(wire.BookingRebook, free[1].ID, free[0].ID)
	clk.Set(free[1].Start.Add(-24 * time.Hour))
	if sent, err := rm.Send(ctx); err != nil || sent != 0 {
		t.Fatalf("after the consent ended: %d sent (%v)", sent, err)
	}
	checkNoPatientData(t, "gateway", g.logs.String())
}
