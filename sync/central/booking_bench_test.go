package central

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/workday"
)

// BenchmarkFreeTimesPage (issue 20): a patient's free-times page
// (GET /boka/{unit}?typ=…, over TLS, logged in) at a unit that published
// eight weeks of 20 clinicians' times: weekdays, 16 times a day each
// (08:00–16:00, 30 minutes), 12,800 times, with the clinicians' names;
// four time types of five clinicians each (sub-benchmark "type": 3,200
// times of the type), or every clinician on one type ("one-type": 12,800).
// The page shows the first week of the type's free times (bookingweek.go:
// 400 or 1,600 less the busy ones). A time in fifty has a request waiting
// (busy-tentative) and one in fifty is booked. Reports p50, p99
// and max in ms, the times shown and the page's size; load1 is the
// machine's load average.
func BenchmarkFreeTimesPage(b *testing.B) {
	for _, types := range []int{4, 1} {
		name := "type"
		if types == 1 {
			name = "one-type"
		}
		b.Run(name, func(b *testing.B) { benchFreeTimes(b, types) })
	}
}

func benchFreeTimes(b *testing.B, types int) {
	pkiOnce.Do(func() { sharedPKI, pkiErr = devpki.New(nil, time.Now()) })
	if pkiErr != nil {
		b.Fatal(pkiErr)
	}
	ctx := context.Background()
	stockholm := workday.Stockholm()
	now := time.Date(2026, 3, 2, 7, 0, 0, 0, stockholm) // a Monday
	st, err := Open(ctx, filepath.Join(b.TempDir(), "central.db"), Options{Clock: clocktest.New(now),
		Logger: slog.New(slog.DiscardHandler), Units: []string{unitA}, UnitNames: map[string]string{unitA: "Vårdcentralen Aspen"}})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	server, err := sharedPKI.Server("127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	unitCert, err := sharedPKI.Unit(unitA, "Vårdcentralen Aspen")
	if err != nil {
		b.Fatal(err)
	}
	serve := func(h http.Handler, cfg any) *httptest.Server {
		srv := httptest.NewUnstartedServer(h)
		srv.TLS = tlsconf.ServerNoClientCert(server)
		if cfg != nil {
			srv.TLS = tlsconf.Server(server, sharedPKI.FunctionCAPool(), st.VerifyUnit)
		}
		srv.EnableHTTP2 = true
		srv.StartTLS()
		b.Cleanup(srv.Close)
		return srv
	}
	api, web := serve(st.APIHandler(), true), serve(st.PatientHandler(), nil)

	bt := wire.BookingTimes{Times: []wire.BookingTime{}}
	for day := range 7 * 8 {
		d := now.AddDate(0, 0, day)
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			continue
		}
		for c := range 20 {
			typ := c % types
			for k := range 16 {
				at := time.Date(d.Year(), d.Month(), d.Day(), 8, 30*k, 0, 0, stockholm)
				bt.Times = append(bt.Times, wire.BookingTime{ID: fmt.Sprintf("%d-c%02d", at.Unix(), c), Start: at.UTC(), Minutes: 30,
					TypeID: "typ-" + strconv.Itoa(typ), Type: "Besök " + strconv.Itoa(typ+1), Clinician: fmt.Sprintf("Behandlare %02d", c+1),
					Rebook: true, Cancel: true})
			}
		}
	}
	body, _ := wire.Marshal(bt)
	apiClient := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsconf.Client(unitCert, sharedPKI.RootPool(), "127.0.0.1", nil), ForceAttemptHTTP2: true}}
	req, _ := http.NewRequest(http.MethodPut, api.URL+wire.PathBookingTimes2, bytes.NewReader(body))
	req.Header.Set("Content-Type", wire.ContentTypeJSON)
	resp, err := apiClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		b.Fatalf("publish %d times: %v %v", len(bt.Times), resp, err)
	}
	resp.Body.Close()
	// One in fifty asked for (waiting), one in fifty booked (confirmed).
	for i := 0; i < len(bt.Times); i += 25 {
		pnr := adultPNR
		if _, err := st.RequestBooking(ctx, unitA, pnr, wire.BookingBook, bt.Times[i].ID, ""); err != nil {
			b.Fatal(err)
		}
	}
	reqs, err := http.NewRequest(http.MethodGet, api.URL+wire.PathBookingRequests2, nil)
	if err != nil {
		b.Fatal(err)
	}
	if resp, err := apiClient.Do(reqs); err == nil {
		pg, err := wire.DecodeBookingRequestPage(resp.Body)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		ds := wire.BookingDecisions{}
		for i, r := range pg.Requests {
			if i%2 == 0 {
				ds.Decisions = append(ds.Decisions, wire.BookingDecision{Request: r.ID, Outcome: wire.BookingConfirmed})
			}
		}
		body, _ := wire.Marshal(ds)
		req, _ := http.NewRequest(http.MethodPost, api.URL+wire.PathBookingDecisions2, bytes.NewReader(body))
		req.Header.Set("Content-Type", wire.ContentTypeJSON)
		if resp, err := apiClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
			b.Fatalf("decisions: %v %v", resp, err)
		}
	}

	jar, _ := cookiejar.New(nil)
	cfg := tlsconf.Client(server, sharedPKI.RootPool(), "127.0.0.1", nil)
	cfg.Certificates = nil
	patient := &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	login, _ := http.NewRequest(http.MethodPost, web.URL+"/logga-in", strings.NewReader(url.Values{"pnr": {otherPNR}, "name": {"Annan Person"}}.Encode()))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	login.Header.Set("Origin", web.URL)
	login.Header.Set("Sec-Fetch-Site", "same-origin")
	if resp, err := patient.Do(login); err != nil || resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("login: %v %v", resp, err)
	}
	get := func() (string, time.Duration) {
		start := time.Now()
		resp, err := patient.Get(web.URL + "/boka/" + unitA + "?typ=typ-0")
		if err != nil {
			b.Fatal(err)
		}
		page, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("free-times page: %d %v", resp.StatusCode, err)
		}
		return string(page), time.Since(start)
	}
	page, _ := get()
	// The page shows the first week's free times of the type.
	shown, want := strings.Count(page, `/tid/`), 0
	for i, t := range bt.Times {
		if t.TypeID == "typ-0" && t.Start.Before(now.AddDate(0, 0, 7)) && i%25 != 0 {
			want++
		}
	}
	if shown != want {
		b.Fatalf("the page shows %d times; want the first week's %d", shown, want)
	}
	load := loadAvg()
	var lat []time.Duration
	for b.Loop() {
		_, d := get()
		lat = append(lat, d)
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(shown), "times-shown")
	b.ReportMetric(float64(len(bt.Times)), "times-published")
	b.ReportMetric(float64(len(page))/1024, "page-KiB")
	b.ReportMetric(max(load, loadAvg()), "load1")
}

// loadAvg is the machine's load average over the last minute (0 where
// /proc/loadavg is missing).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	return f
}
