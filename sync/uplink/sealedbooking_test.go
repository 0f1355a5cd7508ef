package uplink

import (
	"bytes"
	"context"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/sync/central"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/personnummer"
)

// TestSealedBookingThroughTLSProxy: with central.sealing on, a patient
// books a time online with a reminder by SMS and e-mail through a
// TLS-terminating reverse proxy that logs every byte it forwards; the
// request reaches the gateway's diary with the patient and the reminder
// intact and is confirmed, and the proxy's capture of what the central
// store sent down holds neither the personnummer nor the mobile number nor
// the e-mail address.
func TestSealedBookingThroughTLSProxy(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	cert := unitCert(t)
	proxy, capt := tlsProxy(t, c.addr, cert)
	now := time.Now().UTC().Truncate(time.Second)
	g := newGateway(t, proxy.URL, cert, func(cfg *Config) { cfg.Sealing = true; cfg.PushInterval = 50 * time.Millisecond })
	if _, _, err := g.db.EnsureSealingKey(ctx); err != nil {
		t.Fatal(err)
	}
	g.cfg.SealingKeys = g.db
	d, err := booking.New(booking.OnStore(g.db), booking.Options{Clock: clocktest.New(now)})
	must(t, err)
	g.cfg.Booking = booking.SyncSource{Diary: d, Weeks: 2}
	g.restartUplink()
	visit := booking.TimeType{ID: "besok-30", StaffName: "Kanarietyp personal", PatientName: "Besök", Minutes: 30,
		Clinicians: []string{clin}, Online: true, Rebook: true, Cancel: true, Reminder: true, ReminderHours: 24}
	must(t, d.PutType(ctx, visit))
	must(t, d.PutTemplate(ctx, booking.Template{ID: "t", Clinician: clin, TypeID: visit.ID,
		Weekday: booking.Local(now.AddDate(0, 0, 3)).Weekday(), Start: "09:00", Count: 2, From: now.Format(time.DateOnly)}))
	_, err = d.Generate(ctx, 2)
	must(t, err)
	g.start()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway logs:\n%s", g.logs.String())
		}
	})
	waitFor(t, 20*time.Second, "sealing on", func() bool { return g.up.Status().Sealing == SealingOn })
	var free []wire.BookingTime
	waitFor(t, 30*time.Second, "the free times published", func() bool {
		free, err = c.store.FreeBookingTimes(ctx, unit, visit.ID)
		return err == nil && len(free) >= 2
	})

	pnr := string(personnummer.Synthetic(time.Date(1979, 6, 3, 0, 0, 0, 0, time.UTC), 987))
	const (
		mobile = "+46701234987"
		email  = "kanariepatient@example.se"
	)
	must(t, c.store.SetReminderChoice(ctx, pnr, &wire.BookingReminder{Mobile: mobile, Email: email, Lang: "sv"}))
	id, err := c.store.RequestBooking(ctx, unit, pnr, wire.BookingBook, free[0].ID, "")
	must(t, err)
	waitFor(t, 30*time.Second, "the request confirmed", func() bool {
		st, err := c.store.BookingRequestOf(ctx, unit, pnr, id)
		return err == nil && st.State == central.RequestConfirmed
	})
	slot, err := d.Resolve(ctx, free[0].ID)
	must(t, err)
	s, err := d.Slot(ctx, slot)
	must(t, err)
	if s.Booking == nil || string(s.Booking.Patient) != pnr || s.Booking.Remind == nil ||
		*s.Booking.Remind != (booking.ReminderContact{Mobile: mobile, Email: email, Lang: "sv"}) {
		t.Fatalf("the gateway's booking: %+v", s.Booking)
	}
	g.stop()
	_, down := capt.bytes()
	if !bytes.Contains(down, []byte(`"requests"`)) {
		t.Fatalf("the proxy captured no booking requests (%d bytes down)", len(down))
	}
	for _, canary := range []string{pnr, pnr[2:], mobile, mobile[1:], email, "kanariepatient"} {
		if n := bytes.Count(down, []byte(canary)); n > 0 {
			t.Errorf("central store → gateway: the proxy saw %q %d times", canary, n)
		}
	}
	checkNoPatientData(t, "gateway", g.logs.String())
}
