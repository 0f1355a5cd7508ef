package uplink

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/personnummer"
)

// TestBookingsOlderCentral: a central store that serves the free times
// but not the unit's bookings (PUT wire.PathBookingBookings2, 404) keeps
// working: the free times are published, and again after a staff
// booking (the diary's change), the bookings are tried with each
// publication and the 404 is logged once. Against a central store that
// takes them, the staff booking reaches the patient's bookings.
func TestBookingsOlderCentral(t *testing.T) {
	for _, older := range []bool{true, false} {
		name := "current"
		if older {
			name = "older"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var tried atomic.Int32
			c := startCentralWrapped(t, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == wire.PathBookingBookings2 {
						tried.Add(1)
						if older {
							wire.WriteProblem(w, *wire.NotFound("There is no such endpoint in the sync protocol."))
							return
						}
					}
					h.ServeHTTP(w, r)
				})
			})
			now := time.Now().UTC().Truncate(time.Second)
			g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { cfg.PushInterval = 50 * time.Millisecond })
			d, err := booking.New(booking.OnStore(g.db), booking.Options{Clock: clocktest.New(now)})
			must(t, err)
			g.cfg.Booking = booking.SyncSource{Diary: d, Weeks: 2}
			g.restartUplink()
			d.OnChange(g.up.BookingChanged) // as the agent wires it
			visit := booking.TimeType{ID: "besok-30", StaffName: "Psykologbesök", PatientName: "Besök", Minutes: 30,
				Clinicians: []string{clin}, Online: true, Cancel: true, CancelHours: 24}
			must(t, d.PutType(ctx, visit))
			day := now.AddDate(0, 0, 3)
			must(t, d.PutTemplate(ctx, booking.Template{ID: "t", Clinician: clin, TypeID: visit.ID,
				Weekday: booking.Local(day).Weekday(), Start: "09:00", Count: 2,
				From: booking.Local(day).Format(time.DateOnly), Until: booking.Local(day).Format(time.DateOnly)}))
			_, err = d.Generate(ctx, 8)
			must(t, err)
			g.start()
			free := func() int {
				c.mu.RLock()
				defer c.mu.RUnlock()
				f, err := c.store.FreeBookingTimes(ctx, unit, publicType(t, d, visit.ID))
				if err != nil {
					return -1
				}
				return len(f)
			}
			waitFor(t, 30*time.Second, "the free times published", func() bool { return free() == 2 })
			ft, err := d.FreeTimes(ctx, booking.FreeQuery{From: now, To: now.AddDate(0, 0, 7)})
			must(t, err)
			pnr := string(personnummer.Synthetic(time.Date(1980, 4, 1, 0, 0, 0, 0, time.UTC), 981))
			_, err = d.Book(ctx, ft[0].ID, booking.Actor{Staff: staffHSA}, booking.BookRequest{Patient: pnr})
			must(t, err)
			waitFor(t, 30*time.Second, "the staff booking gone from the free times", func() bool { return free() == 1 })
			if older {
				waitFor(t, 30*time.Second, "the bookings tried twice", func() bool { return tried.Load() >= 2 })
				if n := countLines(g.logs.String(), "does not take the unit's bookings"); n != 1 {
					t.Errorf("%d log lines about it; want one", n)
				}
				if n := countLines(g.logs.String(), "does not take online bookings"); n != 0 {
					t.Errorf("the bookings' 404 turned online booking off (%d lines)", n)
				}
				return
			}
			waitFor(t, 30*time.Second, "the staff booking in the patient's bookings", func() bool {
				c.mu.RLock()
				defer c.mu.RUnlock()
				b, err := c.store.PatientBookings(ctx, unit, pnr)
				return err == nil && len(b) == 1 && b[0].Time.Start.Equal(ft[0].Start)
			})
		})
	}
}
