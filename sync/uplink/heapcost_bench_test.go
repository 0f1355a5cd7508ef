package uplink

import (
	"context"
	"flag"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"

	"clinicgw/agent/cases"
	"clinicgw/sync/central"
	"clinicgw/sync/central/backlogtest"
	"clinicgw/sync/wire"
)

var heapWarm = flag.Int("uplink.heap.warm", 10000, "realistic cases stored before BenchmarkHeapPerEvent measures")

// heapKind is a kind of case whose heap per event is measured: commits
// of n and 2n of them, fetched per at a time, after warm stored first.
type heapKind struct {
	name         string
	n, per, warm int
	submit       func(tb testing.TB, c *centralSrv, n int)
}

// heapKinds are the small (smallSubmission), realistic
// (backlogtest.Submission) and maximum-size (backlogtest.MaxSubmission)
// cases, n about half a commit of each; the first two after warm
// stored.
func heapKinds(warm int) []heapKind {
	return []heapKind{
		{"small", 1000, 500, warm, submitSmall},
		{"realistic", 400, 200, warm, submitRealistic},
		{"max-size", 5, 5, 16, func(tb testing.TB, c *centralSrv, n int) { publishMaxForm(tb, c); submitMax(tb, c, 0, n) }},
	}
}

// heapPerEvent is what heapOfCommit measured per event of a kind, over
// reps pairs of commits (n, 2n): the growth per event of the live heap
// with the events in hand and at the commit's peak, the bytes allocated
// while applying them, and their eventBytes.
type heapPerEvent struct{ inHand, peak, alloc, bytes float64 }

// measureHeap measures kind on a fresh central store and gateway.
func measureHeap(tb testing.TB, kind heapKind, reps int) heapPerEvent {
	c := startCentral(tb)
	kind.submit(tb, c, kind.warm+reps*3*kind.n)
	g := newGateway(tb, c.url(), unitCert(tb), func(cfg *Config) { cfg.Logger = nil })
	var cursor uint64
	for cursor < uint64(kind.warm) {
		_, _, _, _, cursor = heapOfCommit(tb, g, cursor, min(kind.warm-int(cursor), 2000), kind.per)
	}
	var m heapPerEvent
	n := float64(kind.n)
	for range reps {
		in1, p1, a1, b1, cur := heapOfCommit(tb, g, cursor, kind.n, kind.per)
		in2, p2, a2, b2, cur2 := heapOfCommit(tb, g, cur, 2*kind.n, kind.per)
		cursor = cur2
		m.inHand += (float64(in2) - float64(in1)) / n
		m.peak += (float64(p2) - float64(p1)) / n
		m.alloc += float64(a1+a2) / (3 * n)
		m.bytes += float64(b2-b1) / n
	}
	r := float64(reps)
	return heapPerEvent{m.inHand / r, m.peak / r, m.alloc / r, m.bytes / r}
}

// BenchmarkHeapPerEvent: what a commit holds on the heap per event, for
// a small, a realistic and a maximum-size case: the growth of the live
// heap's peak from a commit of n events to one of 2n, fetched, decoded,
// linked and applied to a real store as the pull does (heapOfCommit),
// over n. The small and realistic stores hold -uplink.heap.warm cases
// first (their indexes' pages are what a commit rewrites). Reports the
// bytes per event in hand (fetched and decoded), at the commit's peak and
// allocated while applying, and the peak's ratio to eventBytes: the
// figures the commit bound's eventHeap follows.
func BenchmarkHeapPerEvent(b *testing.B) {
	for _, kind := range heapKinds(*heapWarm) {
		b.Run(kind.name, func(b *testing.B) {
			m := measureHeap(b, kind, b.N)
			b.ReportMetric(m.bytes, "eventBytes/event")
			b.ReportMetric(m.inHand, "inhand-B/event")
			b.ReportMetric(m.peak, "peak-B/event")
			b.ReportMetric(m.alloc, "alloc-B/event")
			b.ReportMetric(m.peak/m.bytes, "peak/eventBytes")
		})
	}
}

// smallSubmission is the i-th realistic case (backlogtest.Submission)
// with a line of text and short answers: the smallest a case usually
// is, where what an event costs whatever its size weighs the most.
func smallSubmission(i int) central.Submission {
	sub := backlogtest.Submission(i)
	sub.Text = "Behöver förnya receptet."
	for j, f := range sub.Fields {
		if r := []rune(f.Value); len(r) > 12 {
			sub.Fields[j].Value = strings.TrimSpace(string(r[:12]))
		}
	}
	return sub
}

// submitSmall submits n small cases (smallSubmission) to c, a thousand
// per transaction.
func submitSmall(b testing.TB, c *centralSrv, n int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for i := 0; i < n; i += 1000 {
		subs := make([]central.Submission, 0, 1000)
		for j := i; j < min(n, i+1000); j++ {
			subs = append(subs, smallSubmission(j))
		}
		if _, err := c.store.SubmitBatch(context.Background(), unit, subs); err != nil {
			b.Fatalf("submit: %v", err)
		}
	}
}

// heapOfCommit fetches the n events after cursor from the central store
// (pages of at most per events), links them and applies them to g's
// store in one commit, as the pull does, with the collector running
// nearly all the time (GOGC 2). It returns the live heap's growth over
// what it was before the fetch: with the events fetched and decoded
// (inHand), and at its peak while they were applied (peak); the sum of
// their eventBytes, and the cursor after them.
func heapOfCommit(b testing.TB, g *gateway, cursor uint64, n, per int) (inHand, peak, allocs uint64, bytes int, next uint64) {
	b.Helper()
	ctx := context.Background()
	defer debug.SetGCPercent(debug.SetGCPercent(2))
	runtime.GC()
	base := liveHeap()
	var events []wire.Event
	var journal []cases.JournalEntry
	var head cases.SyncHead
	for len(events) < n {
		page, raw, _, err := g.up.getInboxEvents(ctx, wire.InboxQuery{After: cursor, Limit: min(per, n-len(events))})
		if err != nil {
			b.Fatal(err)
		}
		var j []cases.JournalEntry
		if head, j, err = chainPage(page, raw); err != nil {
			b.Fatal(err)
		}
		events, journal = append(events, page.Events...), append(journal, j...)
		cursor = page.Cursor
	}
	bytes = sizeOf(events).bytes
	runtime.GC()
	inHand = liveHeap() - base
	h := &heapPeak{}
	h.arm()
	alloc0 := heapAllocs()
	in, err := g.up.inbound(ctx, events)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := g.svc.ApplyChained(ctx, in, head, journal); err != nil {
		b.Fatal(err)
	}
	allocs = heapAllocs() - alloc0
	peak = h.stop() - base
	runtime.KeepAlive(events)
	runtime.KeepAlive(journal)
	return inHand, peak, allocs, bytes, cursor
}

// heapPeak follows the live heap: after every collection (the finalizer
// of an object made unreachable each time) it reads what the collector
// marked live, and keeps the largest.
type heapPeak struct {
	mu      sync.Mutex
	peak    uint64
	stopped bool
}

// heapAllocs is the bytes allocated on the heap so far.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// liveHeap is the heap the last collection marked live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// arm sets the finalizer that samples after the next collection.
func (h *heapPeak) arm() {
	x := new([64]byte)
	runtime.SetFinalizer(x, func(*[64]byte) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.peak = max(h.peak, liveHeap())
		if !h.stopped {
			go h.arm()
		}
	})
}

// stop ends the sampling and returns the peak.
func (h *heapPeak) stop() uint64 {
	runtime.GC()
	runtime.GC() // the first one's finalizer has run
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	return h.peak
}
