package localui_test

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/central"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// BenchmarkLoad is the load test: CLINICGW_LOAD_SESSIONS (default 200)
// staff sessions logged in over TLS, each with its page's websocket open
// and loading its list page about once a second (one in twenty a message
// administrator on the inbox, the others clinicians on their own cases), while patients submit
// CLINICGW_LOAD_RATE (default 1000) cases per second at the central store
// and the gateway syncs them over mutual TLS, for CLINICGW_LOAD_SECONDS
// (default 20). Each push on a page's websocket makes it fetch its rows
// again 100 ms later, one fetch at a time, as app.js does, and an inbox its
// counts (counts-p99-ms: on the client's clock, apart from the rows). It reports the
// page loads' p50 and p99, the live refreshes' p99 and count, the errors
// (a page not 200, a request failing, a websocket dropped), the rate the
// cases were submitted and stored at, and how long after the last
// submission the gateway had the central store's last event. Run it with
// `make load` (-benchtime 1x).
//
// The client, the gateway and the central store share one process and the
// machine's CPUs: p50-ms, p99-ms and refresh-p99-ms are on the client's
// clock (its TLS, gzip and wait for a CPU included); server-p99-ms and
// server-refresh-p99-ms are the same requests as the gateway took them,
// from their first bytes read to their answers' last written, timed
// beneath TLS on its listener (loadconn_test.go). cpu-cores is the
// process's CPU time over the run's time (major-faults its pages read
// from the disk), sched-wait-p99-ms how long its
// runnable goroutines waited for a CPU, machine-busy and machine-steal
// the machine's CPU time busy with any process and taken by the
// hypervisor, cpu-calib-ms a fixed piece of work timed before the run:
// together they tell a slow gateway from a slow or busy machine.
func BenchmarkLoad(b *testing.B) {
	sessions := envInt(b, "CLINICGW_LOAD_SESSIONS", 200)
	rate := envInt(b, "CLINICGW_LOAD_RATE", 1000)
	seconds := envInt(b, "CLINICGW_LOAD_SECONDS", 20)
	for range b.N {
		runLoad(b, sessions, rate, time.Duration(seconds)*time.Second)
	}
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: expected a positive whole number", name, v)
	}
	return n
}

func runLoad(b *testing.B, sessions, rate int, length time.Duration) {
	// The process's goroutines carry a label "part" (gateway, central,
	// load) for a CPU profile's -tagfocus: the three share the CPUs.
	part := func(name string) context.Context {
		return pprof.WithLabels(context.Background(), pprof.Labels("part", name))
	}
	defer pprof.SetGoroutineLabels(context.Background())
	var server *connTimes
	pprof.SetGoroutineLabels(part("gateway"))
	c, cs := startCentralClinicOn(b, func(ln net.Listener) net.Listener { server = timeConns(ln); return server },
		func(start func()) {
			pprof.SetGoroutineLabels(part("central"))
			defer pprof.SetGoroutineLabels(part("gateway"))
			start()
		})
	pprof.SetGoroutineLabels(part("load"))
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()

	type session struct {
		br      *browser
		page    string
		refresh *http.Client // the live refreshes' connections, timed apart from the page loads'
		counts  *http.Client // the inbox's counts', apart too
	}
	var (
		all   []session
		kinds connKinds
	)
	// One in twenty is a message administrator on the inbox, which every
	// new case changes; the others are clinicians on their own cases.
	for i := range sessions {
		var s session
		switch {
		case i%20 == 0:
			s = session{br: c.login(hsaDist), page: "/inbox"}
		case i%2 == 0:
			s = session{br: c.login(hsaClinA), page: "/mine"}
		default:
			s = session{br: c.login(hsaClinB), page: "/mine"}
		}
		tr := s.br.http.Transport.(*http.Transport)
		s.refresh = &http.Client{Jar: s.br.http.Jar, Transport: kinds.transport(tr, "refresh"), CheckRedirect: s.br.http.CheckRedirect}
		s.counts = &http.Client{Jar: s.br.http.Jar, Transport: kinds.transport(tr, "counts"), CheckRedirect: s.br.http.CheckRedirect}
		s.br.http.Transport = kinds.transport(tr, "page")
		tr.CloseIdleConnections() // the login's, untimed
		all = append(all, s)
	}
	b.Logf("%d sessions logged in", len(all))

	var (
		mu       sync.Mutex
		took     []time.Duration
		errs     atomic.Int64
		pushes   atomic.Int64
		firstErr atomic.Value
	)
	fail := func(what string) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, what)
	}
	var refreshes, countsTook []time.Duration
	// load GETs path as the page does and records its time in *into.
	load := func(hc *http.Client, path string, live bool, into *[]time.Duration) {
		req, _ := http.NewRequestWithContext(kinds.count(ctx), http.MethodGet, c.origin+path, nil)
		if live {
			req.Header.Set("X-Live", "1")
		}
		t0 := time.Now()
		r, err := hc.Do(req)
		if err == nil {
			_, err = io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		d := time.Since(t0)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			fail("GET " + path + ": " + err.Error())
		case r.StatusCode != http.StatusOK:
			fail("GET " + path + ": " + r.Status)
		default:
			mu.Lock()
			*into = append(*into, d)
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	for _, s := range all {
		list := "inbox"
		if s.page == "/mine" {
			list = "mine"
		}
		conn, _, err := s.br.ws(map[string]string{"t": "watch", "list": list})
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(2)
		go func() { // the page's websocket: on a push, the rows again (and the inbox's counts), as app.js does
			defer wg.Done()
			defer conn.Close()
			go func() { <-ctx.Done(); conn.Close() }()
			var idsMu sync.Mutex
			ids, all := map[cases.ID]bool{}, false // what the pushes named since the last refresh
			// rows asks for the rows the pushes named, as app.js does.
			rows := func() string {
				idsMu.Lock()
				defer idsMu.Unlock()
				path := s.page + "?part=rows"
				if !all && len(ids) > 0 && len(ids) <= 64 {
					var named []string
					for id := range ids {
						named = append(named, string(id))
					}
					path += "&ids=" + strings.Join(named, ",")
				}
				ids, all = map[cases.ID]bool{}, false
				return path
			}
			var rowsPending, countsPending atomic.Bool
			// fetch fetches a live part 100 ms after a push, one fetch
			// at a time per part, like the page.
			fetch := func(pending *atomic.Bool, hc *http.Client, path func() string, into *[]time.Duration) {
				if !pending.CompareAndSwap(false, true) {
					return
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer pending.Store(false)
					select {
					case <-ctx.Done():
						return
					case <-time.After(100 * time.Millisecond):
					}
					load(hc, path(), true, into)
				}()
			}
			for {
				_, data, err := conn.ReadMessage()
				if err != nil {
					if ctx.Err() == nil {
						fail("websocket dropped: " + err.Error())
					}
					return
				}
				var m wsMessage
				if json.Unmarshal(data, &m) != nil || m.T != "changed" {
					continue
				}
				pushes.Add(1)
				idsMu.Lock()
				all = all || m.All
				for _, id := range m.IDs {
					ids[id] = true
				}
				idsMu.Unlock()
				fetch(&rowsPending, s.refresh, rows, &refreshes)
				if s.page == "/inbox" {
					fetch(&countsPending, s.counts, func() string { return "/inbox?part=counts" }, &countsTook)
				}
			}
		}()
		go func() { // page loads, about one a second, spread out
			defer wg.Done()
			t := time.NewTimer(time.Duration(rand.Int64N(int64(time.Second))))
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				load(s.br.http, s.page, false, &took)
				t.Reset(time.Duration(800+rand.Int64N(400)) * time.Millisecond)
			}
		}()
	}

	// Patients: rate cases a second, submitted every 10 ms in one
	// transaction of the central store (one commit per submission would
	// measure the reference central store's disk, not the gateway).
	pnr := string(c.patientPNR())
	sub := central.Submission{PatientPNR: pnr, PatientName: canaryName,
		FormID: string(casetype.AdviceNurse), Fields: []wire.Field{{Name: "question", Value: canaryText}}}
	var submitted atomic.Int64
	calib := cpuCalibration()
	before := readRunStats()
	start := time.Now()
	var feed sync.WaitGroup
	feed.Add(1)
	go func() {
		defer feed.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for time.Since(start) < length {
			<-tick.C
			due := int(float64(rate)*time.Since(start).Seconds()) - int(submitted.Load())
			if due <= 0 {
				continue
			}
			batch := make([]central.Submission, due)
			for i := range batch {
				batch[i] = sub
			}
			if _, err := cs.Store.SubmitBatch(ctx, testUnit, batch); err != nil {
				fail("submit: " + err.Error())
				continue
			}
			submitted.Add(int64(due))
		}
	}()
	feed.Wait()
	fed := time.Since(start)
	// Until the gateway has applied the central store's last event. (Not
	// by counting the cases: reading every case every 50 ms took the CPU
	// the gateway was to catch up with.)
	head, err := cs.Store.Head(ctx, testUnit)
	if err != nil {
		b.Fatal(err)
	}
	applied := func() uint64 {
		var n uint64
		c.gw.Store().View(ctx, func(tx cases.ReadTx) error {
			var err error
			n, err = tx.SyncCursor()
			return err
		})
		return n
	}
	want := int(submitted.Load())
	var lag time.Duration
	for {
		if applied() >= head {
			lag = time.Since(start) - fed
			break
		}
		if time.Since(start) > fed+time.Minute {
			b.Fatalf("event %d of %d applied in the gateway a minute after the last submission", applied(), head)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	run := readRunStats().since(before)

	reportLatency(b, took)
	// The same requests as the gateway saw them (connTimes): without the
	// load generator's own work and wait in the same process.
	at99 := func(d []time.Duration) float64 {
		slices.Sort(d)
		if len(d) == 0 {
			return 0
		}
		return float64(d[len(d)*99/100]) / float64(time.Millisecond)
	}
	b.ReportMetric(at99(server.of(&kinds, "page")), "server-p99-ms")
	b.ReportMetric(at99(server.of(&kinds, "refresh")), "server-refresh-p99-ms")
	b.ReportMetric(at99(server.of(&kinds, "counts")), "server-counts-p99-ms")
	if run.cores > 0 {
		b.ReportMetric(run.cores, "cpu-cores")
		b.ReportMetric(float64(run.majFaults), "major-faults")
	}
	b.ReportMetric(float64(run.gcs), "gc-cycles")
	b.ReportMetric(float64(run.schedP99)/float64(time.Millisecond), "sched-wait-p99-ms")
	b.ReportMetric(float64(calib)/float64(time.Millisecond), "cpu-calib-ms")
	if run.machineBusy >= 0 {
		b.ReportMetric(run.machineBusy, "machine-busy")
		b.ReportMetric(run.steal, "machine-steal")
	}
	b.ReportMetric(float64(len(took)), "page-loads")
	if len(refreshes) > 0 {
		b.ReportMetric(at99(refreshes), "refresh-p99-ms")
	}
	b.ReportMetric(float64(len(refreshes)), "live-refreshes")
	b.ReportMetric(at99(countsTook), "counts-p99-ms")
	b.ReportMetric(float64(len(countsTook)), "counts-refreshes")
	b.ReportMetric(float64(errs.Load()), "errors")
	b.ReportMetric(float64(want)/fed.Seconds(), "submitted-cases/s")
	b.ReportMetric(float64(want)/(fed+lag).Seconds(), "stored-cases/s")
	b.ReportMetric(lag.Seconds(), "lag-s")
	b.ReportMetric(float64(pushes.Load()), "pushes")
	b.ReportMetric(0, "ns/op")
	if e := firstErr.Load(); e != nil {
		b.Logf("first error: %s", e)
	}
}
