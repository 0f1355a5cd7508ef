package uplink

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/central"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

var (
	benchCases   = flag.Int("uplink.cases", 5000, "cases pre-submitted for BenchmarkSync (e.g. 100000 for the backlog figure)")
	benchProfile = flag.String("uplink.cpuprofile", "", "write a CPU profile of BenchmarkSync's timed syncs only (not the setup) to this file")
	benchSmall   = flag.Bool("uplink.small", false, "BenchmarkSync with the old small cases (41 bytes of text, 10 patients, one field) instead of realistic ones")
)

// BenchmarkSync: N realistic cases (see realisticSubmission) wait at the
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

// submitRealistic submits n realistic cases to c, a thousand per
// transaction.
func submitRealistic(b *testing.B, c *centralSrv, n int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for from := 0; from < n; from += 1000 {
		subs := make([]central.Submission, 0, 1000)
		for i := from; i < min(n, from+1000); i++ {
			subs = append(subs, realisticSubmission(i))
		}
		if _, err := c.store.SubmitBatch(context.Background(), unit, subs); err != nil {
			b.Fatalf("submit: %v", err)
		}
	}
}

// realisticSubmission is the i-th of a backlog as patients write it: one
// of three default forms with its fields answered, about 2 KiB of Swedish
// text (å, ä, ö, line breaks), from one of 20,000 distinct synthetic
// patients.
func realisticSubmission(i int) central.Submission {
	p := i % 20000
	birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, p/20)
	sub := central.Submission{
		PatientPNR:  string(personnummer.Synthetic(birth, 980+p%20)),
		PatientName: []string{"Åsa Öberg", "Märta Ängström", "Björn Nyström", "Göran Lindqvist"}[i%4],
		Text:        swedishText(i, 2048),
	}
	switch i % 3 {
	case 0:
		sub.FormID = string(casetype.SymptomRegistration)
		sub.Fields = []wire.Field{{Name: "symptoms", Value: swedishText(i+3, 300)}, {Name: "since", Value: "2026-11-30"},
			{Name: "fever", Value: "true"}, {Name: "temperature", Value: "38,7"}}
	case 1:
		sub.FormID = string(casetype.AdviceNurse)
		sub.Fields = []wire.Field{{Name: "question", Value: swedishText(i+5, 200)}, {Name: "since", Value: "weeks"}}
	default:
		sub.FormID = string(casetype.RenewPrescription)
		sub.Fields = []wire.Field{{Name: "medicine", Value: "Levaxin 50 mikrogram"}, {Name: "howOften", Value: "daily"}}
	}
	return sub
}

// swedishSentences are the building blocks of a case's text: what
// patients write, with å, ä, ö and punctuation.
var swedishSentences = []string{
	"Hej! Jag har haft ont i halsen sedan i tisdags och det blir inte bättre.",
	"Febern gick upp till 38,7 grader i natt, men i morse var den 37,9.",
	"Jag har försökt med Alvedon och varm dryck, men det hjälper bara en stund.",
	"Min dotter är fyra år och har hostat i snart två veckor, mest på nätterna.",
	"Kan ni ringa mig efter klockan 15? Jag arbetar på förmiddagarna.",
	"Jag undrar om jag behöver komma in eller om det räcker med råd per telefon.",
	"Förra året fick jag penicillin för samma besvär; är det något ni rekommenderar nu?",
	"Det svider när jag sväljer och jag har svårt att äta fast föda.",
	"Öronen värker också, särskilt det vänstra, och hörseln känns lite nedsatt.",
	"Tack på förhand för hjälpen — jag är tacksam för ett svar så snart det går.",
	"Jag är gravid i vecka 24 och vill veta vilka läkemedel jag kan ta.",
	"Blodtrycket var 145/95 när jag mätte hemma i söndags, är det för högt?",
}

// swedishText returns about n bytes of patient text, varied by seed.
func swedishText(seed, n int) string {
	var sb strings.Builder
	for i := seed; ; i++ {
		s := swedishSentences[i%len(swedishSentences)]
		if sb.Len()+len(s)+2 > n {
			return strings.TrimSpace(sb.String())
		}
		sb.WriteString(s)
		if i%4 == 3 {
			sb.WriteString("\n\n")
		} else {
			sb.WriteByte(' ')
		}
	}
}

// splitEvents returns where each page's events are in it, and the
// page's cursor, for boltWrite.
func splitEvents(b *testing.B, pages [][]byte) []benchPage {
	out := make([]benchPage, 0, len(pages))
	for _, p := range pages {
		var page struct {
			Events []json.RawMessage `json:"events"`
			Cursor uint64            `json:"cursor"`
		}
		if err := json.Unmarshal(p, &page); err != nil {
			b.Fatal(err)
		}
		bp := benchPage{page: p, spans: make([][2]int, 0, len(page.Events)), cursor: page.Cursor}
		at := 0
		for _, e := range page.Events {
			i := bytes.Index(p[at:], e)
			if i < 0 {
				b.Fatal("an event's bytes are not in its page")
			}
			bp.spans = append(bp.spans, [2]int{at + i, at + i + len(e)})
			at += i + len(e)
		}
		out = append(out, bp)
	}
	return out
}

// benchPage is a page's bytes, where its events are in them (no pointers
// for the collector to follow: the pages are outside the heap, heldPages)
// and its cursor.
type benchPage struct {
	page   []byte
	spans  [][2]int
	cursor uint64
}

// boltWrite writes the events durably into a new bbolt file with the
// gateway store's options, one transaction per page with its cursor, and
// returns the time it took.
func boltWrite(b *testing.B, pages []benchPage) time.Duration {
	path := filepath.Join(b.TempDir(), "plain.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType, NoFreelistSync: true, PageSize: 16384})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	t0 := time.Now()
	seq := uint64(0)
	for _, p := range pages {
		err := db.Update(func(tx *bolt.Tx) error {
			ev, err := tx.CreateBucketIfNotExists([]byte("events"))
			if err != nil {
				return err
			}
			ev.FillPercent = 1
			for _, sp := range p.spans {
				seq++
				if err := ev.Put(binary.BigEndian.AppendUint64(nil, seq), p.page[sp[0]:sp[1]]); err != nil {
					return err
				}
			}
			meta, err := tx.CreateBucketIfNotExists([]byte("meta"))
			if err != nil {
				return err
			}
			return meta.Put([]byte("cursor"), binary.BigEndian.AppendUint64(nil, p.cursor))
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(t0)
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
