package localui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/central"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// reportLatency reports the median and the 99th percentile of d in ms.
func reportLatency(b *testing.B, d []time.Duration) {
	b.Helper()
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(p float64) float64 {
		i := int(float64(len(d))*p+0.5) - 1
		return float64(d[max(0, min(i, len(d)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// seedOpen stores n new cases in the gateway in batches, as the uplink
// stores a pulled page.
func (c *clinic) seedOpen(ctx context.Context, n int) error {
	const batch = 1000
	pnr := personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 981)
	c.mu.Lock()
	c.pnrs = append(c.pnrs, string(pnr))
	c.mu.Unlock()
	subs := make([]cases.Submission, 0, batch)
	for i := 0; i < n; i += batch {
		subs = subs[:0]
		for j := i; j < min(i+batch, n); j++ {
			subs = append(subs, cases.Submission{Type: casetype.All[j%len(casetype.All)],
				Patient: cases.Person{PNR: pnr, Name: canaryName}, Text: canaryText, SubmittedAt: c.clock.Now()})
		}
		if _, err := c.gw.Cases().ReceiveBatch(ctx, subs); err != nil {
			return fmt.Errorf("seed cases %d–%d: %w", i, i+len(subs), err)
		}
	}
	return nil
}

// BenchmarkInbox50kOpen: one GET /inbox (the open view, first page) by a
// logged-in distributor over TLS, with 50,000 open cases in the store.
// The round trip on loopback is reported as p50-ms and p99-ms.
func BenchmarkInbox50kOpen(b *testing.B) {
	const n = 50_000
	c := startClinic(b)
	at := time.Now()
	if err := c.seedOpen(b.Context(), n); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d open cases in %v", n, time.Since(at))
	dist := c.login(hsaDist)
	if r, page := dist.getBody("/inbox"); r.StatusCode != http.StatusOK || strings.Count(page, `<tr id="case-`) != 200 {
		b.Fatalf("inbox: %d, %d rows", r.StatusCode, strings.Count(page, `<tr id="case-`))
	}
	var took []time.Duration
	for b.Loop() {
		t0 := time.Now()
		r := dist.get("/inbox")
		took = append(took, time.Since(t0))
		if r.StatusCode != http.StatusOK {
			b.Fatalf("inbox: %d", r.StatusCode)
		}
	}
	reportLatency(b, took)
}

// BenchmarkInboxCounts50kOpen: the inbox's counts alone (GET
// /inbox?part=counts, the live refresh's), with 50,000 open cases in the
// store: indexes walked, no case decoded. p50-ms and p99-ms as above.
func BenchmarkInboxCounts50kOpen(b *testing.B) {
	const n = 50_000
	c := startClinic(b)
	if err := c.seedOpen(b.Context(), n); err != nil {
		b.Fatal(err)
	}
	dist := c.login(hsaDist)
	if r, page := dist.getBody("/inbox?part=counts"); r.StatusCode != http.StatusOK || !strings.Contains(page, `id="count-new" href="/inbox?view=new">Nya <span class="n">50000</span>`) {
		b.Fatalf("counts: %d\n%.300s", r.StatusCode, page)
	}
	var took []time.Duration
	for b.Loop() {
		t0 := time.Now()
		r := dist.get("/inbox?part=counts")
		took = append(took, time.Since(t0))
		if r.StatusCode != http.StatusOK {
			b.Fatalf("counts: %d", r.StatusCode)
		}
	}
	reportLatency(b, took)
}

// BenchmarkNewCaseToInbox: a case submitted at the central store, to the
// distributor's websocket push announcing it and the inbox rows fragment
// that holds it; the gateway syncs with the central store over mutual TLS
// on loopback. Reported as p50-ms and p99-ms.
func BenchmarkNewCaseToInbox(b *testing.B) {
	c, cs := startCentralClinic(b)
	ctx := b.Context()
	dist := c.login(hsaDist)
	conn, _, err := dist.ws(map[string]string{"t": "watch", "list": "inbox"})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	pushes := make(chan wsMessage, 64)
	go func() {
		defer close(pushes)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var m wsMessage
			if json.Unmarshal(data, &m) == nil {
				pushes <- m
			}
		}
	}()
	// announced waits for the push that names id (or everything).
	announced := func(id string, within time.Duration) bool {
		timeout := time.After(within)
		for {
			select {
			case m, ok := <-pushes:
				if !ok {
					b.Fatal("the inbox websocket closed")
				}
				if m.T == "changed" && (m.All || slices.Contains(m.IDs, cases.ID(id))) {
					return true
				}
			case <-timeout:
				return false
			}
		}
	}
	pnr := string(c.patientPNR())
	submit := func() string {
		id, err := cs.Store.Submit(ctx, testUnit, central.Submission{PatientPNR: pnr, PatientName: canaryName,
			FormID: string(casetype.AdviceNurse), Fields: []wire.Field{{Name: "question", Value: canaryText}}})
		if err != nil {
			b.Fatal(err)
		}
		return id
	}
	// withdraw takes the case out of the open view again (the first page
	// shows the oldest 200), through the central store as a patient would.
	withdraw := func(id string) {
		if err := cs.Store.Withdraw(ctx, pnr, id); err != nil {
			b.Fatal(err)
		}
		if !announced(id, 10*time.Second) {
			b.Fatalf("no push for the withdrawal of %s", id)
		}
	}
	// Until the page's watch message is read, no push comes: submit until
	// one does.
	for i := 0; ; i++ {
		id := submit()
		if announced(id, 2*time.Second) {
			withdraw(id)
			break
		}
		if i == 5 {
			b.Fatal("no push for a new case")
		}
	}

	var took []time.Duration
	for b.Loop() {
		t0 := time.Now()
		id := submit()
		if !announced(id, 10*time.Second) {
			b.Fatalf("no push for case %s", id)
		}
		r, rows := dist.getBody("/inbox?part=rows&ids=" + id) // the changed row only, as app.js asks
		took = append(took, time.Since(t0))
		if r.StatusCode != http.StatusOK || !strings.Contains(rows, `<tr id="case-`+id+`"`) {
			b.Fatalf("inbox rows: %d, without case %s", r.StatusCode, id)
		}
		b.StopTimer()
		withdraw(id)
		b.StartTimer()
	}
	reportLatency(b, took)
}
