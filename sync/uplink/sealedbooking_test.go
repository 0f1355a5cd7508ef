package uplink

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
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
// the e-mail address. Staff then book another patient by phone: the
// unit's bookings reach the central store sealed to its own key, and the
// capture of what the gateway sent up holds neither patient's
// personnummer.
func TestSealedBookingThroughTLSProxy(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	cert := unitCert(t)
	proxy, capt := tlsProxy(t, c.addr, cert)
	g, d, free := sealedBookingGateway(t, proxy.URL, cert, c)

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

	// Staff book another patient by phone: the booking reaches the
	// patient's page at the central store.
	phone := string(personnummer.Synthetic(time.Date(1985, 2, 7, 0, 0, 0, 0, time.UTC), 989))
	slot1, err := d.Resolve(ctx, free[1].ID)
	must(t, err)
	_, err = d.Book(ctx, slot1, booking.Actor{Staff: staffHSA}, booking.BookRequest{Patient: phone})
	must(t, err)
	g.up.BookingChanged()
	waitFor(t, 30*time.Second, "the phone booking at the central store", func() bool {
		bs, err := c.store.PatientBookings(ctx, unit, phone)
		return err == nil && len(bs) == 1
	})
	if bs, err := c.store.PatientBookings(ctx, unit, pnr); err != nil || len(bs) != 1 {
		t.Errorf("the online booking at the central store: %+v (%v)", bs, err)
	}
	g.stop()
	up, down := capt.Bytes()
	if !bytes.Contains(down, []byte(`"requests"`)) || !bytes.Contains(up, []byte(wire.PathBookingBookingsSealed2)) {
		t.Errorf("the proxy captured no booking requests or sealed bookings (%d bytes up, %d down)", len(up), len(down))
	}
	for _, canary := range []string{pnr, pnr[2:], phone, phone[2:], mobile, mobile[1:], email, "kanariepatient"} {
		if n := bytes.Count(down, []byte(canary)); n > 0 {
			t.Errorf("central store → gateway: the proxy saw %q %d times", canary, n)
		}
		if n := bytes.Count(up, []byte(canary)); n > 0 {
			t.Errorf("gateway → central store: the proxy saw %q %d times", canary, n)
		}
	}
	checkNoPatientData(t, "gateway", g.logs.String())
}

// sealedBookingGateway starts a gateway with central.sealing on and a
// diary with free times bookable online at base, and waits until the
// central store c seals and shows the times.
func sealedBookingGateway(t *testing.T, base string, cert tls.Certificate, c *centralSrv) (*gateway, *booking.Diary, []wire.BookingTime) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	g := newGateway(t, base, cert, func(cfg *Config) { cfg.Sealing = true; cfg.PushInterval = 50 * time.Millisecond })
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
		free, err = c.store.FreeBookingTimes(ctx, unit, publicType(t, d, visit.ID))
		return err == nil && len(free) >= 2
	})

	return g, d, free
}

// TestSealedBookingRefused: a booking request whose envelope was altered
// on the way (a bit flipped, truncated), moved to another time, or that
// comes plain once the central store confirmed sealing, is declined with
// its reason and never booked in the diary.
func TestSealedBookingRefused(t *testing.T) {
	ctx := context.Background()
	var (
		mu     sync.Mutex
		tamper func(*wire.BookingRequest)
	)
	c := startCentralWrapped(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			f := tamper
			mu.Unlock()
			if r.URL.Path != wire.PathBookingRequests2 || f == nil {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			var pg wire.BookingRequestPage
			if err := json.Unmarshal(rec.Body.Bytes(), &pg); err != nil {
				t.Errorf("the central store's page: %v", err)
				return
			}
			for i := range pg.Requests {
				f(&pg.Requests[i])
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(pg)
		})
	})
	g, d, free := sealedBookingGateway(t, c.url(), unitCert(t), c)
	pnr := string(personnummer.Synthetic(time.Date(1979, 6, 3, 0, 0, 0, 0, time.UTC), 988))
	flip := func(r *wire.BookingRequest) {
		b, _ := base64.StdEncoding.DecodeString(r.Sealed)
		b[len(b)-20] ^= 1
		r.Sealed = base64.StdEncoding.EncodeToString(b)
	}
	for _, tc := range []struct {
		name   string
		tamper func(*wire.BookingRequest)
		reason string
	}{
		{"bit flipped", flip, wire.BookingUnreadable},
		{"truncated", func(r *wire.BookingRequest) {
			b, _ := base64.StdEncoding.DecodeString(r.Sealed)
			r.Sealed = base64.StdEncoding.EncodeToString(b[:len(b)/2])
		}, wire.BookingUnreadable},
		{"moved to another time", func(r *wire.BookingRequest) { r.Time = free[1].ID }, wire.BookingUnreadable},
		{"moved to another kind", func(r *wire.BookingRequest) { r.Kind = wire.BookingCancel }, wire.BookingUnreadable},
		{"plain after the mark", func(r *wire.BookingRequest) { r.Sealed, r.Patient = "", pnr }, wire.BookingNotSealed},
	} {
		mu.Lock()
		tamper = tc.tamper
		mu.Unlock()
		id, err := c.store.RequestBooking(ctx, unit, pnr, wire.BookingBook, free[0].ID, "")
		must(t, err)
		var st central.BookingRequestState
		waitFor(t, 30*time.Second, tc.name+": the request decided", func() bool {
			st, err = c.store.BookingRequestOf(ctx, unit, pnr, id)
			return err == nil && st.State != central.RequestPending
		})
		if st.State != central.RequestDeclined || st.Reason != tc.reason {
			t.Errorf("%s: the request is %s (%q), want declined (%q)", tc.name, st.State, st.Reason, tc.reason)
		}
		for _, tm := range free[:2] {
			slot, err := d.Resolve(ctx, tm.ID)
			must(t, err)
			if s, err := d.Slot(ctx, slot); err != nil || s.Booking != nil {
				t.Fatalf("%s: the diary booked %s: %+v (%v)", tc.name, tm.ID, s.Booking, err)
			}
		}
	}
	if n := g.up.Status().SealedRefused; n != 5 {
		t.Errorf("Status.SealedRefused = %d, want 5", n)
	}
	checkNoPatientData(t, "gateway", g.logs.String())
}
