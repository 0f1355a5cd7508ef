package uplink

import (
	"bytes"
	"context"
	"crypto/tls"
	"flag"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
)

var benchCases = flag.Int("uplink.cases", 5000, "cases pre-submitted for BenchmarkSync (e.g. 100000 for the backlog figure)")

// BenchmarkSync: N cases wait at the central store; the time from Run's
// start until all are stored in the gateway's encrypted store, against a
// raw TLS stream of the same JSON bytes (the inbox pages) over loopback,
// both measured in every iteration. Reports cases/s for both and their
// ratio.
func BenchmarkSync(b *testing.B) {
	n := *benchCases
	c := startCentral(b)
	start := time.Now()
	for i := range n {
		c.submit(i)
	}
	b.Logf("%d cases submitted in %v", n, time.Since(start).Round(time.Millisecond))
	pages := inboxBytes(b, c)
	total := 0
	for _, p := range pages {
		total += len(p)
	}
	raw := startRawServer(b, pages)

	var uplinkTime, rawTime time.Duration
	for b.Loop() {
		b.StopTimer()
		g := newGateway(b, c.url(), unitCert(b), func(cfg *Config) { cfg.Logger = nil })
		b.StartTimer()
		t0 := time.Now()
		g.start()
		waitCount(b, g.rec, n)
		uplinkTime += time.Since(t0)
		b.StopTimer()
		g.stop()
		rawTime += raw.fetch(b, total)
		b.StartTimer()
	}
	iters := float64(b.N)
	upRate := float64(n) * iters / uplinkTime.Seconds()
	rawRate := float64(n) * iters / rawTime.Seconds()
	b.ReportMetric(upRate, "cases/s")
	b.ReportMetric(rawRate, "raw-cases/s")
	b.ReportMetric(float64(total)*iters/rawTime.Seconds()/1e6, "raw-MB/s")
	b.ReportMetric(upRate/rawRate, "ratio")
	b.ReportMetric(uplinkTime.Seconds()/iters, "s/sync")
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
	var pages [][]byte
	after := uint64(0)
	for {
		q := wire.InboxQuery{After: after, Limit: wire.MaxInboxLimit}
		resp, err := cl.Get(c.url() + wire.PathInbox + "?" + q.Encode())
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("inbox: %d %v", resp.StatusCode, err)
		}
		page, err := wire.DecodeInboxPage(bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, body)
		if !page.More {
			return pages
		}
		after = page.Cursor
	}
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
// included.
func (s *rawServer) fetch(b *testing.B, total int) time.Duration {
	t0 := time.Now()
	conn, err := tls.Dial("tcp", s.ln.Addr().String(), s.cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	got, err := io.Copy(io.Discard, conn)
	d := time.Since(t0)
	if err != nil || got != int64(total) {
		b.Fatalf("raw stream: %d of %d bytes, %v", got, total, err)
	}
	return d
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
