package fhirapi_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/directory"
	"clinicgw/agent/fhirapi"
	"clinicgw/agent/store"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// BenchmarkTaskSearch: a page of 50 open cases (status=requested) from a
// store of BENCH cases (3,000: all but the last 200 withdrawn; the status index
// makes the page's cost independent of the withdrawn ones), through the handler
// and the case service on the encrypted bbolt store, without the TLS
// handshake (a connection's, not a request's cost). Reports p50 and p99.
func BenchmarkTaskSearch(b *testing.B) {
	const total, open = 3000, 200
	dir := b.TempDir()
	kf := filepath.Join(dir, "kek")
	if err := store.GenerateKeyFile(kf, rand.Reader, false); err != nil {
		b.Fatal(err)
	}
	kek, err := store.LoadKeyFile(kf)
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "store.db"), kek, store.Options{Unit: unit})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	clock := clocktest.New(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := cases.NewService(cases.ServiceConfig{Unit: unit, Store: db, Clock: clock, Rand: rand.Reader, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	pnr := personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 980)
	for n := 0; n < total; n += 500 {
		var subs []cases.Submission
		for range 500 {
			subs = append(subs, cases.Submission{Type: casetype.AdviceNurse, Patient: cases.Person{PNR: pnr, Name: "Test Testsson"},
				Text: "Halsont.", SubmittedAt: clock.Now().Add(-time.Minute)})
		}
		got, err := svc.ReceiveBatch(ctx, subs)
		if err != nil {
			b.Fatal(err)
		}
		for i, c := range got {
			if n+i < total-open {
				if _, err := svc.Do(ctx, cases.Actor{Kind: cases.Patient}, c.ID, cases.Command{Action: cases.Withdraw}); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	d, err := directory.Parse(strings.NewReader(directoryJSON))
	if err != nil {
		b.Fatal(err)
	}
	pki, err := devpki.New(rand.Reader, clock.Now().Add(-time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	sys, err := pki.Unit(record, "record")
	if err != nil {
		b.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(sys.Certificate[0])
	api, err := fhirapi.New(fhirapi.Config{Cases: svc, Systems: func() fhirapi.Systems { return d },
		FunctionCAs: []*x509.Certificate{pki.FunctionCA()}, RatePerMinute: 1 << 30, Clock: clock, Logger: log, Revocation: notRevoked{}})
	if err != nil {
		b.Fatal(err)
	}
	cs := &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{leaf, pki.FunctionCA(), pki.Root()}}}
	var times []time.Duration
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "https://gw/Task?status=requested&_count=50", nil)
		req.TLS = cs
		w := httptest.NewRecorder()
		start := time.Now()
		api.ServeHTTP(w, req)
		times = append(times, time.Since(start))
		if w.Code != 200 || strings.Count(w.Body.String(), `"resourceType":"Task"`) != 50 {
			b.Fatalf("%d: %.200s", w.Code, w.Body.String())
		}
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkChangeFeedLatency: from a case stored (Receive returns) to the
// waiting long poll's answer with it, through the handler and the case
// service on the encrypted bbolt store. Reports p50 and p99.
func BenchmarkChangeFeedLatency(b *testing.B) {
	dir := b.TempDir()
	kf := filepath.Join(dir, "kek")
	if err := store.GenerateKeyFile(kf, rand.Reader, false); err != nil {
		b.Fatal(err)
	}
	kek, err := store.LoadKeyFile(kf)
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "store.db"), kek, store.Options{Unit: unit})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	clock := clocktest.New(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var api *fhirapi.Server
	svc, err := cases.NewService(cases.ServiceConfig{Unit: unit, Store: db, Clock: clock, Rand: rand.Reader, Logger: log,
		OnChange: func(ch cases.Change) { api.Notify(ch) }})
	if err != nil {
		b.Fatal(err)
	}
	d, err := directory.Parse(strings.NewReader(directoryJSON))
	if err != nil {
		b.Fatal(err)
	}
	pki, err := devpki.New(rand.Reader, clock.Now().Add(-time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	sys, err := pki.Unit(record, "record")
	if err != nil {
		b.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(sys.Certificate[0])
	api, err = fhirapi.New(fhirapi.Config{Cases: svc, Systems: func() fhirapi.Systems { return d },
		FunctionCAs: []*x509.Certificate{pki.FunctionCA()}, RatePerMinute: 1 << 30, Clock: clock, Logger: log, Revocation: notRevoked{}})
	if err != nil {
		b.Fatal(err)
	}
	cs := &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{leaf, pki.FunctionCA(), pki.Root()}}}
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "https://gw"+path, nil)
		req.TLS = cs
		w := httptest.NewRecorder()
		api.ServeHTTP(w, req)
		return w
	}
	nextOf := func(body string) string {
		i := strings.Index(body, "/Task/_changes?_since=")
		return strings.ReplaceAll(body[i:i+strings.IndexByte(body[i:], '"')], `\u0026`, "&")
	}
	next := nextOf(get("/Task/_changes").Body.String())
	pnr := personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 980)
	var times []time.Duration
	for b.Loop() {
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() { done <- get(next + "&_wait=30") }()
		if _, err := svc.Receive(context.Background(), cases.Submission{Type: casetype.AdviceNurse,
			Patient: cases.Person{PNR: pnr, Name: "Test Testsson"}, Text: "Halsont.", SubmittedAt: clock.Now().Add(-time.Minute)}); err != nil {
			b.Fatal(err)
		}
		stored := time.Now()
		w := <-done
		times = append(times, time.Since(stored))
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"resourceType":"Task"`) {
			b.Fatalf("%d: %.300s", w.Code, w.Body.String())
		}
		next = strings.ReplaceAll(nextOf(w.Body.String()), "&_wait=30", "")
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
}
