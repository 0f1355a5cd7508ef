//go:build unix

package uplink

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire/personnummer"
)

// TestBookingRaceRealProcess: the reference central store as a real
// process, its patient pages over TLS and its sync API over mutual TLS;
// the gateway's running uplink with the booking diary. Patients log in and
// confirm the same few times at once through the pages; the central store
// is SIGKILLed and a new process started on its file in the middle, and
// more patients confirm. In the end every patient's page says either
// booked (the gateway's confirmation) or, in Swedish, that the time was
// taken; exactly one patient per time is told booked, and that patient
// is the one the gateway's diary has.
func TestBookingRaceRealProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx := context.Background()
	p := startCentralProc(t, 0)
	now := time.Now().UTC().Truncate(time.Second)
	g := newGateway(t, p.url(), unitCert(t), func(cfg *Config) { cfg.PushInterval = 100 * time.Millisecond })
	d, err := booking.New(booking.OnStore(g.db), booking.Options{Clock: clocktest.New(now)})
	must(t, err)
	g.cfg.Booking = booking.SyncSource{Diary: d, Weeks: 1}
	g.restartUplink()
	visit := booking.TimeType{ID: "besok-30", StaffName: "Psykologbesök", PatientName: "Besök", Minutes: 30,
		Clinicians: []string{clin}, Online: true, Cancel: true, CancelHours: 24}
	must(t, d.PutType(ctx, visit))
	day := now.AddDate(0, 0, 3)
	must(t, d.PutTemplate(ctx, booking.Template{ID: "t", Clinician: clin, TypeID: visit.ID,
		Weekday: booking.Local(day).Weekday(), Start: "09:00", Count: 3,
		From: booking.Local(day).Format(time.DateOnly), Until: booking.Local(day).Format(time.DateOnly)}))
	_, err = d.Generate(ctx, 8)
	must(t, err)
	pub, err := d.Published(ctx, now.AddDate(0, 0, 7), nil)
	must(t, err)
	free := pub.Times // the published ids, as the patient pages name the times
	if len(free) != 3 {
		t.Fatalf("%d free times; want 3", len(free))
	}
	g.start()
	defer g.stop()

	const n = 24
	browsers := make([]*http.Client, n)
	pnrs := make([]string, n)
	for i := range n {
		pnrs[i] = string(personnummer.Synthetic(time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), 980+i%20))
		jar, _ := cookiejar.New(nil)
		cfg := tlsconf.Client(tls.Certificate{}, testPKI().RootPool(), "127.0.0.1", nil)
		browsers[i] = &http.Client{Jar: jar, Timeout: 30 * time.Second,
			Transport:     &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	login := func(i int) {
		if st, _ := p.page(browsers[i], http.MethodPost, "/logga-in", url.Values{"pnr": {pnrs[i]}, "name": {patientName}}); st != http.StatusSeeOther {
			t.Fatalf("login %d: %d", i, st)
		}
	}
	typ, err := d.PublicTypeID(t.Context(), visit.ID) // the patient pages know the type by its opaque id
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the free times on the patient pages", func() bool {
		login(0)
		_, body := p.page(browsers[0], http.MethodGet, "/boka/"+unit+"?typ="+typ, nil)
		return strings.Contains(body, "/tid/"+string(free[2].ID))
	})
	reqs := make([]string, n)
	confirm := func(from, to int) {
		var wg sync.WaitGroup
		for i := from; i < to; i++ {
			login(i)
		}
		for i := from; i < to; i++ {
			wg.Go(func() {
				req, err := http.NewRequest(http.MethodPost, "https://"+p.webAddr+"/boka/"+unit+"/tid/"+string(free[i%3].ID), strings.NewReader(""))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", "https://"+p.webAddr)
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				resp, err := browsers[i].Do(req)
				if err != nil {
					t.Errorf("patient %d: %v", i, err)
					return
				}
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusSeeOther:
					reqs[i] = resp.Header.Get("Location")
				case http.StatusConflict, http.StatusNotFound: // the time no longer offered: told at once
				default:
					t.Errorf("patient %d: %d", i, resp.StatusCode)
				}
			})
		}
		wg.Wait()
	}
	confirm(0, n/2)
	p.stop() // SIGKILL mid-race
	p.start(0, 0, nil)
	confirm(n/2, n)
	told := map[string][]int{}
	for i, loc := range reqs {
		if loc == "" {
			continue
		}
		login(i) // the killed process's sessions died with it
		var body string
		waitFor(t, 60*time.Second, fmt.Sprintf("patient %d's answer", i), func() bool {
			_, body = p.page(browsers[i], http.MethodGet, loc, nil)
			return !strings.Contains(body, "skickad till mottagningen")
		})
		switch {
		case strings.Contains(body, "mottagningen har bekräftat"):
			told[string(free[i%3].ID)] = append(told[string(free[i%3].ID)], i)
		case strings.Contains(body, "Tiden är redan bokad av någon annan"):
		default:
			t.Errorf("patient %d's page says neither booked nor taken:\n%s", i, body)
		}
	}
	for k, f := range free {
		s, err := d.Slot(ctx, slotOf(t, d, f.ID))
		must(t, err)
		got := told[string(f.ID)]
		if len(got) != 1 || s.Booking == nil || s.Booking.Patient != pnrs[got[0]] {
			t.Errorf("time %d: patients %v told booked; the gateway's booking %+v", k, got, s.Booking)
		}
	}
}
