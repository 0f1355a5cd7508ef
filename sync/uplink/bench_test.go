package uplink

import (
	"context"
	"crypto/tls"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/central/backlogtest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
)

var (
	benchCases   = flag.Int("uplink.cases", 5000, "cases pre-submitted for BenchmarkSync (e.g. 100000 for the backlog figure)")
	benchProfile = flag.String("uplink.cpuprofile", "", "write a CPU profile of BenchmarkSync's timed syncs only (not the setup) to this file")
	benchSmall   = flag.Bool("uplink.small", false, "BenchmarkSync with the old small cases (41 bytes of text, 10 patients, one field) instead of realistic ones")
)

// BenchmarkSync: N realistic cases (see backlogtest.Submission) wait at the
// central store; the time from Run's
// start until all are stored in the gateway's encrypted store, against a
// raw TLS stream of the same JSON bytes (the inbox pages) over loopback,
// both measured in every iteration. Reports cases/s for both and their
// ratio.
//
// The raw stream only copies bytes, so two more realistic ceilings are
// measured too, in every iteration, on the same pages: the raw stream with
// each page decoded by the strict decoder (raw-dec), and the pages written
// durably into a plain bbolt file, one transaction per page, one put per
// event (bolt), as the least a store must do.
func BenchmarkSync(b *testing.B) {
	n := *benchCases
	c := startCentral(b)
	start := time.Now()
	if *benchSmall {
		for i := range n {
			c.submit(i)
		}
	} else {
		submitRealistic(b, c, n)
	}
	b.Logf("%d cases submitted in %v", n, time.Since(start).Round(time.Millisecond))
	pages := heldPages(b, inboxBytes(b, c)) // outside the heap: a gateway holds none of it (bench_gc_test.go)
	total := 0
	for _, p := range pages {
		total += len(p)
	}
	raw := startRawServer(b, pages)
	events := splitEvents(b, pages)

	if *benchProfile != "" {
		f, err := os.Create(*benchProfile)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	var uplinkTime, uplinkCPU, rawTime, rawDecTime, boltTime time.Duration
	var uplinkWritten, boltWritten int64
	var gc gcTotals // bench_gc_test.go
	for b.Loop() {
		b.StopTimer()
		g := newGateway(b, c.url(), unitCert(b), func(cfg *Config) { cfg.Logger = nil })
		settle()
		b.StartTimer()
		gc0 := startGC(b)
		t0, cpu0, w0 := time.Now(), processCPU(b), processWriteBytes(b)
		g.start()
		waitCount(b, g.rec, n)
		uplinkTime += time.Since(t0)
		uplinkCPU += processCPU(b) - cpu0
		uplinkWritten += processWriteBytes(b) - w0
		gc.end(b, gc0)
		b.StopTimer()
		g.stop()
		rawTime += raw.fetch(b, total, nil)
		rawDecTime += raw.fetch(b, total, pages)
		w0 = processWriteBytes(b)
		boltTime += boltWrite(b, events)
		boltWritten += processWriteBytes(b) - w0
		b.StartTimer()
	}
	iters := float64(b.N)
	rate := func(d time.Duration) float64 { return float64(n) * iters / d.Seconds() }
	upRate := rate(uplinkTime)
	b.ReportMetric(upRate, "cases/s")
	b.ReportMetric(rate(rawTime), "raw-cases/s")
	b.ReportMetric(float64(total)*iters/rawTime.Seconds()/1e6, "raw-MB/s")
	b.ReportMetric(upRate/rate(rawTime), "ratio")
	b.ReportMetric(rate(rawDecTime), "rawdec-cases/s")
	b.ReportMetric(upRate/rate(rawDecTime), "ratio-rawdec")
	b.ReportMetric(rate(boltTime), "bolt-cases/s")
	b.ReportMetric(upRate/rate(boltTime), "ratio-bolt")
	b.ReportMetric(uplinkTime.Seconds()/iters, "s/sync")
	b.ReportMetric(uplinkCPU.Seconds()/iters, "cpu-s/sync")
	gc.report(b, iters, n)
	if uplinkWritten >= 0 && boltWritten > 0 {
		// Bytes sent to storage (/proc/self/io) by the sync and by the
		// plain write of the same pages: the disk is what the sync waits on.
		b.ReportMetric(float64(uplinkWritten)/iters/1e6, "written-MB/sync")
		b.ReportMetric(float64(boltWritten)/iters/1e6, "bolt-written-MB")
		b.ReportMetric(float64(uplinkWritten)/float64(boltWritten), "written-ratio")
	}
}

// submitRealistic submits n realistic cases (backlogtest.Submission) to
// c, a thousand per transaction.
func submitRealistic(b testing.TB, c *centralSrv, n int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := backlogtest.Submit(context.Background(), c.store, unit, n); err != nil {
		b.Fatalf("submit: %v", err)
	}
}

// splitEvents returns where each page's events are in it, and the
// page's cursor, for boltWrite.
func splitEvents(b *testing.B, pages [][]byte) []backlogtest.Page {
	out, err := backlogtest.SplitEvents(pages)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// boltWrite writes the events durably into a new bbolt file
// (backlogtest.PlainWrite) and returns the time it took.
func boltWrite(b *testing.B, pages []backlogtest.Page) time.Duration {
	d, err := backlogtest.PlainWrite(filepath.Join(b.TempDir(), "plain.db"), pages)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// waitCount waits until rec has stored n cases.
func waitCount(b *testing.B, rec *recorder, n int) {
	for {
		rec.mu.Lock()
		k, ch := len(rec.stored), rec.changed
		rec.mu.Unlock()
		if k >= n {
			return
		}
		select {
		case <-ch:
		case <-time.After(2 * time.Minute):
			b.Fatalf("%d of %d cases stored after 2 minutes", k, n)
		}
	}
}

// inboxBytes fetches the unit's whole inbox, as the uplink would, and
// returns the pages' bodies.
func inboxBytes(b *testing.B, c *centralSrv) [][]byte {
	cl := &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true,
		TLSClientConfig: tlsconf.Client(unitCert(b), testPKI().RootPool(), "127.0.0.1", nil)}}
	defer cl.CloseIdleConnections()
	pages, err := backlogtest.InboxPages(cl, c.url())
	if err != nil {
		b.Fatal(err)
	}
	return pages
}

// rawServer streams fixed bytes to every mutual-TLS client on loopback.
type rawServer struct {
	ln  net.Listener
	cfg *tls.Config
	wg  sync.WaitGroup
}

func startRawServer(b *testing.B, pages [][]byte) *rawServer {
	cert, err := testPKI().Server("127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", tlsconf.Server(cert, testPKI().FunctionCAPool(), nil))
	if err != nil {
		b.Fatal(err)
	}
	s := &rawServer{ln: ln, cfg: tlsconf.Client(unitCert(b), testPKI().RootPool(), "127.0.0.1", nil)}
	s.cfg.NextProtos = nil
	s.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() {
				defer conn.Close()
				for _, p := range pages {
					if _, err := conn.Write(p); err != nil {
						return
					}
				}
			})
		}
	})
	b.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// fetch dials, reads total bytes and returns the time it took, handshake
// included. With pages, it reads the stream page by page (the pages' own
// lengths) and decodes each with the strict decoder.
func (s *rawServer) fetch(b *testing.B, total int, pages [][]byte) time.Duration {
	t0 := time.Now()
	conn, err := tls.Dial("tcp", s.ln.Addr().String(), s.cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if pages == nil {
		got, err := io.Copy(io.Discard, conn)
		d := time.Since(t0)
		if err != nil || got != int64(total) {
			b.Fatalf("raw stream: %d of %d bytes, %v", got, total, err)
		}
		return d
	}
	for _, p := range pages {
		page, err := wire.DecodeInboxPage(io.LimitReader(conn, int64(len(p))))
		if err != nil {
			b.Fatalf("raw stream page: %v", err)
		}
		if len(page.Events) == 0 {
			b.Fatal("raw stream page without events")
		}
	}
	return time.Since(t0)
}

// BenchmarkStreamLatency: with the stream up, the time from the central
// store accepting a case (Submit returned) until the gateway has stored it.
// Reports p50 and p99 in milliseconds.
func BenchmarkStreamLatency(b *testing.B) {
	c := startCentral(b)
	g := newGateway(b, c.url(), unitCert(b), func(cfg *Config) {
		cfg.Logger = nil
		cfg.PollInterval = time.Hour
	})
	g.start()
	waitFor(b, 10*time.Second, "stream connected", func() bool { return g.up.Status().Connected })
	var lat []time.Duration
	i := 0
	for b.Loop() {
		id := c.submit(i)
		accepted := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		stored, err := g.rec.waitStored(ctx, cases.ID(id))
		cancel()
		if err != nil {
			b.Fatalf("case %d not stored within 10 s", i)
		}
		lat = append(lat, stored.Sub(accepted))
		i++
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
