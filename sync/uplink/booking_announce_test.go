package uplink

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/sync/central"
	"clinicgw/sync/clock"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/personnummer"
)

// bookingRig is a central store (in process, its sync API over mutual TLS
// and its patient pages over TLS) and a running gateway uplink with a
// booking diary of one clinician's times, published.
type bookingRig struct {
	c     *centralSrv
	g     *gateway
	d     *booking.Diary
	pages *httptest.Server
	free  []wire.BookingTime
}

// startBookingRig starts the rig with the uplink's push interval push (its
// safety net: how often the gateway looks for requests without being
// told) and times for patients to book, count a day on every day from the
// day after tomorrow for weeks weeks. The central store tells time by
// centralClock (the system clock if nil).
func startBookingRig(t testing.TB, push time.Duration, count, weeks int, centralClock clock.Clock) *bookingRig {
	t.Helper()
	ctx := context.Background()
	r := &bookingRig{c: startCentralClock(t, filepath.Join(t.TempDir(), "central.db"), "127.0.0.1:0", centralClock)}
	now := time.Now().UTC().Truncate(time.Second)
	r.g = newGateway(t, r.c.url(), unitCert(t), func(cfg *Config) { cfg.PushInterval = push })
	var err error
	r.d, err = booking.New(booking.OnStore(r.g.db), booking.Options{Clock: clocktest.New(now)})
	mustTB(t, err)
	r.g.cfg.Booking = booking.SyncSource{Diary: r.d, Weeks: weeks}
	r.g.restartUplink()
	visit := booking.TimeType{ID: "besok-30", StaffName: "Psykologbesök", PatientName: "Besök", Minutes: 30,
		Clinicians: []string{clin}, Online: true, Cancel: true, CancelHours: 24}
	mustTB(t, r.d.PutType(ctx, visit))
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		mustTB(t, r.d.PutTemplate(ctx, booking.Template{ID: fmt.Sprintf("t%d", wd), Clinician: clin, TypeID: visit.ID,
			Weekday: wd, Start: "08:00", Count: count, From: now.AddDate(0, 0, 2).Format(time.DateOnly)}))
	}
	_, err = r.d.Generate(ctx, weeks)
	mustTB(t, err)
	r.g.start()
	waitFor(t, 60*time.Second, "the free times published", func() bool {
		r.c.mu.RLock()
		defer r.c.mu.RUnlock()
		r.free, err = r.c.store.FreeBookingTimes(ctx, unit, publicType(t, r.d, visit.ID))
		return err == nil && len(r.free) > 0
	})
	cert, err := testPKI().Server("127.0.0.1")
	mustTB(t, err)
	r.pages = httptest.NewUnstartedServer(r.c.store.PatientHandler())
	r.pages.TLS = tlsconf.ServerNoClientCert(cert)
	r.pages.EnableHTTP2 = true
	r.pages.StartTLS()
	t.Cleanup(r.pages.Close)
	return r
}

// patient is a logged-in patient's browser on the rig's patient pages.
type patient struct {
	r      *bookingRig
	pnr    string
	client *http.Client
}

func (r *bookingRig) patient(t testing.TB, i int) *patient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	cfg := tlsconf.Client(tls.Certificate{}, testPKI().RootPool(), "127.0.0.1", nil)
	p := &patient{r: r, pnr: string(personnummer.Synthetic(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), 980+i%20)),
		client: &http.Client{Jar: jar, Timeout: 30 * time.Second,
			Transport:     &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if st, _, _ := p.do(http.MethodPost, "/logga-in", url.Values{"pnr": {p.pnr}, "name": {patientName}}); st != http.StatusSeeOther {
		t.Fatalf("patient login: %d", st)
	}
	return p
}

// do sends one request as the patient's browser does: status, body and
// the redirect's target.
func (p *patient) do(method, path string, form url.Values) (int, string, string) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, p.r.pages.URL+path, body)
	if err != nil {
		return 0, err.Error(), ""
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", p.r.pages.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err.Error(), ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

// book is the patient's click on "Boka" for the time: the page the
// browser shows after the redirect.
func (p *patient) book(timeID string) (int, string) {
	st, body, loc := p.do(http.MethodPost, "/boka/"+unit+"/tid/"+timeID, url.Values{})
	if st != http.StatusSeeOther {
		return st, body
	}
	st, body, _ = p.do(http.MethodGet, loc, nil)
	return st, body
}

const (
	pageConfirmed = "mottagningen har bekräftat"
	pagePending   = "skickad till mottagningen"
)

// TestBookingAnnouncedOnStream: a patient's booking request is decided at
// once because the central store announces it on the stream, not at the
// uplink's next push round (here an hour away).
func TestBookingAnnouncedOnStream(t *testing.T) {
	r := startBookingRig(t, time.Hour, 2, 1, nil)
	ctx := context.Background()
	p := r.patient(t, 0)
	id, err := r.c.store.RequestBooking(ctx, unit, p.pnr, wire.BookingBook, r.free[0].ID, "")
	mustTB(t, err)
	waitFor(t, 30*time.Second, "the request decided without a push round", func() bool {
		st, err := r.c.store.BookingRequestOf(ctx, unit, p.pnr, id)
		return err == nil && st.State == central.RequestConfirmed
	})
}

// TestBookingClickAnsweredConfirmed: with the gateway connected, the
// patient's click on "Boka" answers with the gateway's decision: the page
// after the redirect says booked, not "sent to the unit" (the central
// store waits for the decision it announced before it redirects). The
// central store's clock is a fake one whose timers do not run: the wait
// ends by the decision only, however slow the machine.
func TestBookingClickAnsweredConfirmed(t *testing.T) {
	r := startBookingRig(t, time.Hour, 4, 1, clocktest.New(time.Now()))
	for i := range 3 {
		p := r.patient(t, i)
		st, body := p.book(r.free[i].ID)
		if st != http.StatusOK || !strings.Contains(body, pageConfirmed) {
			t.Fatalf("patient %d: the page after the click (%d) does not say booked:\n%s", i, st, body)
		}
	}
}

func mustTB(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
