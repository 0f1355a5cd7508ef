package uplink

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"

	"clinicgw/sync/central"
	"clinicgw/sync/central/backlogtest"
	"clinicgw/sync/logtest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
)

// writeCounter counts the writes a listener's connections make, and
// their bytes: after the TLS handshake, one write is one TLS record.
type writeCounter struct{ writes, bytes atomic.Int64 }

func (w *writeCounter) wrap(ln net.Listener) net.Listener { return countingListener{ln, w} }

type countingListener struct {
	net.Listener
	w *writeCounter
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.w}, nil
}

type countingConn struct {
	net.Conn
	w *writeCounter
}

func (c countingConn) Write(p []byte) (int, error) {
	c.w.writes.Add(1)
	c.w.bytes.Add(int64(len(p)))
	return c.Conn.Write(p)
}

// pageCentral serves a central store with 264 realistic cases on a
// listener whose writes it counts.
func pageCentral(tb testing.TB) (*centralSrv, *writeCounter) {
	tb.Helper()
	wc := &writeCounter{}
	c := &centralSrv{t: tb, path: filepath.Join(tb.TempDir(), "central.db"), notifier: &central.MemNotifier{}, logs: &logtest.Buffer{}, wrapLn: wc.wrap}
	c.open("127.0.0.1:0")
	tb.Cleanup(c.close)
	subs := make([]central.Submission, 264)
	for i := range subs {
		subs[i] = backlogtest.Submission(i)
	}
	if _, err := c.store.SubmitBatch(context.Background(), unit, subs); err != nil {
		tb.Fatal(err)
	}
	return c, wc
}

// countedPage is the page counted: 200 events, about 512 KiB.
var countedPage = wire.InboxQuery{After: 64, Limit: 200}

// openPages fetches the first page, which opens the connection: the
// handshake, and TLS's small first records (its first 128 KiB), so that
// countedPage is sent as every page after it.
func openPages(tb testing.TB, g *gateway) {
	tb.Helper()
	if _, _, _, err := g.up.getInboxEvents(context.Background(), wire.InboxQuery{After: 0, Limit: 64}); err != nil {
		tb.Fatal(err)
	}
}

// An inbox page reaches the gateway in full TLS records: the uplink's
// client takes HTTP/2 DATA frames far larger than the 16 KiB default
// (tlsconf.HTTP2), so the central store does not cut a page into a
// 16 KiB frame plus a 9-byte record for each frame's header, twice the
// records, syscalls and frames (issue 18: the in-process central store's
// serving competes with the gateway's apply for the CPU).
func TestInboxPageRecords(t *testing.T) {
	c, wc := pageCentral(t)
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { cfg.Logger = nil })
	ctx := context.Background()
	openPages(t, g)
	w0, b0 := wc.writes.Load(), wc.bytes.Load()
	page, _, _, err := g.up.getInboxEvents(ctx, countedPage)
	if err != nil {
		t.Fatal(err)
	}
	writes, bytes := wc.writes.Load()-w0, wc.bytes.Load()-b0
	if len(page.Events) != 200 || bytes < 256<<10 {
		t.Fatalf("the page: %d events, %d bytes sent", len(page.Events), bytes)
	}
	// Full records of 16 KiB, and a few for the headers and the end of
	// the stream.
	const record = 16<<10 + 22
	if most := bytes/record + 4; writes > most {
		t.Errorf("a page of %d bytes took %d TLS records (writes), want at most %d", bytes, writes, most)
	}
}

// BenchmarkInboxPageFetch: the uplink's client fetches a page of 200
// realistic events (about 512 KiB) from the in-process central store,
// with Go's default HTTP/2 frame size and with tlsconf.HTTP2's. Reports
// the process's CPU per page (the central store's serving, the transport
// at both ends and the strict decode) and the TLS records per page.
func BenchmarkInboxPageFetch(b *testing.B) {
	c, wc := pageCentral(b)
	for _, frame := range []int{16 << 10, tlsconf.MaxReadFrameSize} {
		b.Run(fmt.Sprintf("frame=%d", frame), func(b *testing.B) {
			g := newGateway(b, c.url(), unitCert(b), func(cfg *Config) { cfg.Logger = nil })
			g.up.http.Transport.(*http.Transport).HTTP2.MaxReadFrameSize = frame
			defer g.up.http.CloseIdleConnections()
			openPages(b, g)
			w0, cpu0 := wc.writes.Load(), processCPU(b)
			for b.Loop() {
				if _, _, _, err := g.up.getInboxEvents(context.Background(), countedPage); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/page")
			b.ReportMetric(float64(wc.writes.Load()-w0)/float64(b.N), "records/page")
		})
	}
}
