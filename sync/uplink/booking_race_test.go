package uplink

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/sync/central"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/personnummer"
)

// TestBookingRaceOverTheSync: patients at the real reference central
// store ask for the same few times at once while a staff member books one
// of them by phone at the gateway; the gateway's uplink, over mutual TLS,
// takes the requests and decides them through the booking authority, with
// the central store killed and restarted between two rounds. Every request
// ends confirmed or declined with a reason; each time has exactly one
// booking (the staff's or one patient's); no patient is told "booked" for
// a time someone else has; the central store shows exactly the gateway's
// bookings.
func TestBookingRaceOverTheSync(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	g := newGateway(t, c.url(), unitCert(t), nil)
	now := time.Now().UTC().Truncate(time.Second)
	d, err := booking.New(booking.OnStore(g.db), booking.Options{Clock: clocktest.New(now)})
	if err != nil {
		t.Fatal(err)
	}
	visit := booking.TimeType{ID: "besok-30", StaffName: "Psykologbesök", PatientName: "Besök", Minutes: 30,
		Clinicians: []string{clin}, Online: true, Rebook: true, RebookHours: 24, Cancel: true, CancelHours: 24}
	must(t, d.PutType(ctx, visit))
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		must(t, d.PutTemplate(ctx, booking.Template{ID: fmt.Sprintf("t%d", wd), Clinician: clin, TypeID: visit.ID,
			Weekday: wd, Start: "09:00", Count: 4, From: now.AddDate(0, 0, 2).Format(time.DateOnly)}))
	}
	if _, err := d.Generate(ctx, 8); err != nil {
		t.Fatal(err)
	}
	pub, err := d.Published(ctx, now.AddDate(0, 0, 60), nil)
	if err != nil {
		t.Fatal(err)
	}
	must(t, g.up.PublishBookingTimes(ctx, pub))
	free, err := c.store.FreeBookingTimes(ctx, unit, publicType(t, d, visit.ID))
	if err != nil || len(free) < 4 {
		t.Fatalf("central free times: %d, %v; want the published ones", len(free), err)
	}
	wanted := free[:4]

	const patients = 60
	pnrs := make([]string, patients)
	for i := range pnrs {
		pnrs[i] = string(personnummer.Synthetic(time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), 980+i%20))
	}
	ids := make([]string, patients)
	ask := func(from, to int) {
		var wg sync.WaitGroup
		for i := from; i < to; i++ {
			wg.Go(func() {
				c.mu.RLock()
				defer c.mu.RUnlock()
				id, err := c.store.RequestBooking(ctx, unit, pnrs[i], wire.BookingBook, wanted[i%len(wanted)].ID, "")
				if err != nil {
					t.Errorf("patient %d: %v", i, err)
				}
				ids[i] = id
			})
		}
		wg.Wait()
	}
	decide := func() {
		for round := 0; ; round++ {
			n, err := g.up.DecideBookings(ctx, d)
			if err != nil {
				t.Fatalf("decide: %v", err)
			}
			if n == 0 {
				return
			}
		}
	}
	// A staff member takes the first time by phone while patients ask.
	staffDone := make(chan error, 1)
	go func() {
		_, err := d.Book(ctx, slotOf(t, d, wanted[0].ID), booking.Actor{Staff: staffHSA}, booking.BookRequest{Patient: pnrs[0]})
		staffDone <- err
	}()
	ask(0, patients/2)
	if _, err := g.up.DecideBookings(ctx, d); err != nil {
		t.Fatal(err)
	}
	c.restart() // the central store killed and restarted mid-race
	ask(patients/2, patients)
	decide()
	staffErr := <-staffDone

	confirmed := map[string][]int{}
	for i, id := range ids {
		st, err := c.store.BookingRequestOf(ctx, unit, pnrs[i], id)
		if err != nil {
			t.Fatalf("patient %d: %v", i, err)
		}
		switch st.State {
		case central.RequestConfirmed:
			confirmed[st.Time.ID] = append(confirmed[st.Time.ID], i)
		case central.RequestDeclined:
			if st.Reason == "" {
				t.Errorf("patient %d declined without a reason", i)
			}
		default:
			t.Errorf("patient %d: request %s; want decided", i, st.State)
		}
	}
	for k, w := range wanted {
		s, err := d.Slot(ctx, slotOf(t, d, w.ID))
		if err != nil {
			t.Fatal(err)
		}
		got := confirmed[w.ID]
		staffHas := k == 0 && staffErr == nil
		switch {
		case s.Booking == nil:
			t.Errorf("time %d: not booked at the gateway", k)
		case staffHas && len(got) != 0:
			t.Errorf("time %d: staff booked it and patients %v were told booked", k, got)
		case !staffHas && len(got) != 1:
			t.Errorf("time %d: patients %v told booked; want exactly one", k, got)
		case !staffHas && s.Booking.Patient != pnrs[got[0]]:
			t.Errorf("time %d: patient %d told booked but the gateway's booking is another's", k, got[0])
		}
	}
	// The central store shows exactly the gateway's online bookings.
	shown := 0
	for i := range pnrs {
		bs, err := c.store.PatientBookings(ctx, unit, pnrs[i])
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			s, _ := d.Slot(ctx, slotOf(t, d, b.Time.ID))
			if s == nil || s.Booking == nil || s.Booking.Patient != pnrs[i] || s.Booking.ByStaff != "" {
				t.Errorf("the central store shows patient %d booked at %s; the gateway does not", i, b.Time.ID)
			}
			shown++
		}
	}
	if want := len(wanted) - map[bool]int{true: 1}[staffErr == nil]; shown != want {
		t.Errorf("the central store shows %d bookings; want %d", shown, want)
	}
	checkNoPatientData(t, "gateway", g.logs.String())
	checkNoPatientData(t, "central store", c.logs.String())
}

// TestBookingLoop: with Config.Booking the running uplink publishes the
// free times on connect, decides patients' requests on its push rounds,
// and publishes again after a decision, so the booked time leaves the
// central store's free times; the central store restarted, it all comes
// back.
func TestBookingLoop(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	now := time.Now().UTC().Truncate(time.Second)
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { cfg.PushInterval = 50 * time.Millisecond })
	d, err := booking.New(booking.OnStore(g.db), booking.Options{Clock: clocktest.New(now)})
	must(t, err)
	g.cfg.Booking = booking.SyncSource{Diary: d, Weeks: 2}
	g.restartUplink()
	visit := booking.TimeType{ID: "besok-30", StaffName: "Psykologbesök", PatientName: "Besök", Minutes: 30,
		Clinicians: []string{clin}, Online: true, Cancel: true, CancelHours: 24}
	must(t, d.PutType(ctx, visit))
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		must(t, d.PutTemplate(ctx, booking.Template{ID: fmt.Sprintf("t%d", wd), Clinician: clin, TypeID: visit.ID,
			Weekday: wd, Start: "09:00", Count: 2, From: now.AddDate(0, 0, 2).Format(time.DateOnly)}))
	}
	_, err = d.Generate(ctx, 8)
	must(t, err)
	g.start()
	var free []wire.BookingTime
	waitFor(t, 30*time.Second, "the free times published", func() bool {
		c.mu.RLock()
		defer c.mu.RUnlock()
		free, err = c.store.FreeBookingTimes(ctx, unit, publicType(t, d, visit.ID))
		return err == nil && len(free) > 0
	})
	pnr := string(personnummer.Synthetic(time.Date(1980, 4, 1, 0, 0, 0, 0, time.UTC), 981))
	id, err := c.store.RequestBooking(ctx, unit, pnr, wire.BookingBook, free[0].ID, "")
	must(t, err)
	waitFor(t, 30*time.Second, "the request confirmed", func() bool {
		st, err := c.store.BookingRequestOf(ctx, unit, pnr, id)
		return err == nil && st.State == central.RequestConfirmed
	})
	waitFor(t, 30*time.Second, "the booked time gone from the published ones", func() bool {
		bt, err := d.Published(ctx, now.AddDate(0, 0, 14), nil)
		must(t, err)
		got, err := c.store.FreeBookingTimes(ctx, unit, publicType(t, d, visit.ID))
		return err == nil && len(got) == len(bt.Times) && got[0].ID != free[0].ID
	})
	c.restart()
	id2, err := c.store.RequestBooking(ctx, unit, pnr, wire.BookingCancel, free[0].ID, "")
	must(t, err)
	waitFor(t, 30*time.Second, "the cancel confirmed after the restart", func() bool {
		c.mu.RLock()
		defer c.mu.RUnlock()
		st, err := c.store.BookingRequestOf(ctx, unit, pnr, id2)
		return err == nil && st.State == central.RequestConfirmed
	})
	if s, _ := d.Slot(ctx, slotOf(t, d, free[0].ID)); s == nil || s.Booking != nil {
		t.Errorf("the gateway still has the cancelled booking: %+v", s)
	}
	checkNoPatientData(t, "gateway", g.logs.String())
}

// TestBookingOlderCentral: a central store without online booking answers
// 404; the uplink says ErrBookingUnsupported, logs one line however often
// it is asked, and the rest of the sync is untouched.
func TestBookingOlderCentral(t *testing.T) {
	ctx := context.Background()
	c := startCentralWrapped(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case wire.PathBookingTimes2, wire.PathBookingRequests2, wire.PathBookingDecisions2:
				wire.WriteProblem(w, *wire.NotFound("There is no such endpoint in the sync protocol."))
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	g := newGateway(t, c.url(), unitCert(t), nil)
	for range 3 {
		if err := g.up.PublishBookingTimes(ctx, wire.BookingTimes{Times: []wire.BookingTime{}}); !errors.Is(err, ErrBookingUnsupported) {
			t.Fatalf("publish: %v; want ErrBookingUnsupported", err)
		}
		if _, err := g.up.DecideBookings(ctx, nil); !errors.Is(err, ErrBookingUnsupported) {
			t.Fatalf("decide: %v; want ErrBookingUnsupported", err)
		}
	}
	if n := countLines(g.logs.String(), "does not take online bookings"); n != 1 {
		t.Errorf("%d log lines about it; want one", n)
	}
}

const (
	clin     = "SE2321000016-1003" // the clinician
	staffHSA = "SE2321000016-2001" // a staff member
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func countLines(logs, sub string) int {
	n := 0
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

// slotOf is the diary's time a published id names.
func slotOf(t *testing.T, d *booking.Diary, published string) booking.SlotID {
	t.Helper()
	id, err := d.Resolve(context.Background(), published)
	if err != nil {
		t.Fatalf("published id %s: %v", published, err)
	}
	return id
}
