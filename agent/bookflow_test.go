package agent_test

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/booking"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
)

// patientWeb is the central store's patient pages over TLS, and one
// patient's browser (cookies, no redirects followed).
type patientWeb struct {
	t      *testing.T
	origin string
	c      *http.Client
}

func startPatientWeb(t *testing.T, p *devpki.PKI, c *testCentral) *patientWeb {
	t.Helper()
	cert, err := p.Server("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(c.store.PatientHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	cfg := tlsconf.Client(tls.Certificate{}, p.RootPool(), "127.0.0.1", nil)
	return &patientWeb{t: t, origin: srv.URL, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: cfg},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do is one request of the patient's browser: the status, the redirect
// and the page.
func (w *patientWeb) do(method, path string, form url.Values) (int, string, string) {
	w.t.Helper()
	req, err := http.NewRequest(method, w.origin+path, strings.NewReader(form.Encode()))
	if err != nil {
		w.t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", w.origin)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := w.c.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// startBookingGateway starts the central store, its patient pages and a
// gateway connected to it.
func startBookingGateway(t *testing.T) (*testCentral, *patientWeb, *agent.Agent) {
	t.Helper()
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := startCentral(t, p)
	web := startPatientWeb(t, p, c)
	a := startAgent(t, gatewayDir(t, p, c.url, nil), agent.Options{Uplink: fast})
	waitFor(t, "the gateway connected", func() bool { st, ok := a.Uplink(); return ok && st.Connected })
	return c, web, a
}

// setUpDiary gives the running gateway's diary one online type and three
// times of one clinician, three days on, and returns their ids.
func setUpDiary(t *testing.T, d *booking.Diary) []booking.SlotID {
	t.Helper()
	ctx := t.Context()
	visit := booking.TimeType{ID: "besok-30", StaffName: "Psykologbesök", PatientName: "Besök", Minutes: 30,
		Clinicians: []string{clinician.HSAID}, Online: true, Rebook: true, RebookHours: 1, Cancel: true, CancelHours: 1}
	if err := d.PutType(ctx, visit); err != nil {
		t.Fatal(err)
	}
	day := time.Now().AddDate(0, 0, 3)
	if err := d.PutTemplate(ctx, booking.Template{ID: "t1", Clinician: clinician.HSAID, TypeID: visit.ID,
		Weekday: booking.Local(day).Weekday(), Start: "09:00", Count: 3,
		From: booking.Local(day).Format(time.DateOnly), Until: booking.Local(day).Format(time.DateOnly)}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Generate(ctx, 8); err != nil {
		t.Fatal(err)
	}
	free, err := d.FreeTimes(ctx, booking.FreeQuery{From: time.Now(), To: time.Now().AddDate(0, 0, 7), Online: true})
	if err != nil || len(free) != 3 {
		t.Fatalf("%d free times, %v; want 3", len(free), err)
	}
	ids := make([]booking.SlotID, len(free))
	for i, f := range free {
		ids[i] = f.ID
	}
	return ids
}

var timeLink = regexp.MustCompile(`/boka/` + unit + `/tid/([A-Za-z0-9._-]+)`)

// TestBookingFlowEndToEnd: the real gateway and the real central store
// over mutual TLS. The unit's times, set up while the gateway runs, are
// published under ids that name no clinician; a patient books one on
// /boka, the gateway confirms, and the patient page shows it booked. What
// staff do in the diary then reaches the patient's "Bokade tider": a
// phone booking shows, a rebooking moves it, a cancellation by the unit
// shows as cancelled.
func TestBookingFlowEndToEnd(t *testing.T) {
	c, web, a := startBookingGateway(t)
	ids := setUpDiary(t, a.Diary())
	ctx := t.Context()

	if st, _, _ := web.do(http.MethodPost, "/logga-in", url.Values{"pnr": {patientPNR}, "name": {patientName}}); st != http.StatusSeeOther {
		t.Fatalf("login: %d", st)
	}
	var page string
	typ, err := a.Diary().PublicTypeID(ctx, "besok-30") // the patient pages know the type by its opaque id
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the times on the patient pages", func() bool {
		_, _, page = web.do(http.MethodGet, "/boka/"+unit+"?typ="+typ, nil)
		return len(timeLink.FindAllString(page, -1)) == 3
	})
	if strings.Contains(page, clinician.HSAID) || strings.Contains(page, "Psykologbesök") {
		t.Errorf("the patient page shows the HSA-ID or the staff name:\n%s", page)
	}
	free, err := c.store.FreeBookingTimes(ctx, unit, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range free {
		if strings.Contains(f.ID, clinician.HSAID) {
			t.Errorf("the central store holds the time id %s", f.ID)
		}
	}

	// The patient books the first time; the gateway confirms.
	first := timeLink.FindStringSubmatch(page)[1]
	st, loc, _ := web.do(http.MethodPost, "/boka/"+unit+"/tid/"+first, url.Values{})
	if st != http.StatusSeeOther {
		t.Fatalf("book: %d", st)
	}
	waitFor(t, "the booking confirmed", func() bool {
		_, _, page = web.do(http.MethodGet, loc, nil)
		return strings.Contains(page, "mottagningen har bekräftat")
	})
	if s, err := a.Diary().Slot(ctx, ids[0]); err != nil || s.Booking == nil || s.Booking.Patient != patientPNR {
		t.Fatalf("the gateway's diary: %+v, %v", s, err)
	}
	if _, _, page = web.do(http.MethodGet, "/boka/"+unit, nil); !strings.Contains(page, "/avboka/"+first) {
		t.Fatalf("Bokade tider after the confirmation:\n%s", page)
	}

	// Staff: a phone booking of the second time for the patient.
	staff := booking.Actor{Staff: distributor.HSAID}
	if _, err := a.Diary().Book(ctx, ids[1], staff, booking.BookRequest{Patient: patientPNR}); err != nil {
		t.Fatal(err)
	}
	booked := func() int {
		_, _, page = web.do(http.MethodGet, "/boka/"+unit, nil)
		return strings.Count(page, "/avboka/")
	}
	waitFor(t, "the phone booking in Bokade tider", func() bool { return booked() == 2 })
	// Staff move it to the third time, then cancel it with a reason.
	if _, err := a.Diary().Rebook(ctx, ids[1], ids[2], staff); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the rebooking in Bokade tider", func() bool {
		return booked() == 2 && !strings.Contains(page, "09:30") && strings.Contains(page, "10:00")
	})
	if err := a.Diary().Cancel(ctx, ids[2], staff, "Psykologen är sjuk"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the cancellation in Bokade tider", func() bool {
		return booked() == 1 && strings.Contains(page, "Avbokade av mottagningen")
	})
	if strings.Contains(page, "sjuk") {
		t.Error("the staff's reason reached the patient page")
	}
	_ = wire.PathBookingBookings2
}
