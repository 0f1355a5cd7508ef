package uplink

import (
	"bytes"
	"context"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/central/backlogtest"
	"clinicgw/sync/wire"
)

// discardCases takes every page without storing it: what a pull
// allocates is then the pull's own.
type discardCases struct{ Cases }

func (discardCases) ApplyChained(_ context.Context, in []cases.Inbound, _ cases.SyncHead, _ []cases.JournalEntry) (cases.ApplyReport, error) {
	return cases.ApplyReport{Applied: len(in)}, nil
}

// recordedInbox is a central store's answers to a pull's inbox requests,
// by query, recorded once and then served as they were (replay), so that
// serving them allocates next to nothing.
type recordedInbox struct {
	mu     sync.Mutex
	bodies map[string][]byte
}

// record wraps a central store's API, keeping its inbox answers.
func (r *recordedInbox) record(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != wire.PathInbox2 {
			h.ServeHTTP(w, req)
			return
		}
		rec := &bodyRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, req)
		r.mu.Lock()
		r.bodies[req.URL.RawQuery] = rec.body.Bytes()
		r.mu.Unlock()
	})
}

type bodyRecorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (b *bodyRecorder) Write(p []byte) (int, error) {
	b.body.Write(p)
	return b.ResponseWriter.Write(p)
}

// replay serves the recorded answers, and takes acks.
func (r *recordedInbox) replay(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != wire.PathInbox2 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	r.mu.Lock()
	b, ok := r.bodies[req.URL.RawQuery]
	r.mu.Unlock()
	if !ok {
		http.Error(w, "not recorded", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", wire.ContentTypeJSON)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// A pull reads its pages' bodies into buffers it gives back once their
// events are stored, not into a new buffer each page, and merges pages
// into slices it keeps from one merge to the next, not new ones of
// mergeEvents each merge: over a backlog of 61 pages, what the pull
// allocates beyond the events it decodes is less than its pages' bodies
// (each body allocated whole, and the merges' slices, made it 2.4 times
// their bytes).
func TestPullReusesPageBuffers(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	ctx := context.Background()
	rec := &recordedInbox{bodies: map[string][]byte{}}
	c := startCentralWrapped(t, rec.record)
	const n = 3000
	if err := backlogtest.Submit(ctx, c.store, unit, n); err != nil {
		t.Fatal(err)
	}
	pull := func(url string) (allocated uint64, acked uint64) {
		g := newGateway(t, url, unitCert(t), func(cfg *Config) {
			cfg.Logger, cfg.PageSize, cfg.Cases = nil, 50, discardCases{cfg.Cases}
		})
		defer g.up.http.CloseIdleConnections()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if err := g.up.pullAll(ctx, &acked); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, acked
	}
	if _, acked := pull(c.url()); acked != c.head() {
		t.Fatalf("recording: acked %d, want %d", acked, c.head())
	}
	srv := serveTLS(t, http.HandlerFunc(rec.replay))
	allocated, acked := pull(srv.URL)
	if acked != c.head() {
		t.Fatalf("replay: acked %d, want %d", acked, c.head())
	}
	// What the decoded events hold: their strings (eventBytes counts
	// them, and 256 bytes an event besides).
	var bodies, events int
	for _, b := range rec.bodies {
		bodies += len(b)
		page, err := wire.DecodeChainedPage(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		events += sizeOf(page.Events).bytes
	}
	beyond := int(allocated) - events
	t.Logf("%d pages, %d body bytes, %d bytes of events: the pull allocated %d bytes, %d beyond its events (%.2f of the bodies)",
		len(rec.bodies), bodies, events, allocated, beyond, float64(beyond)/float64(bodies))
	if len(rec.bodies) < 60 {
		t.Fatalf("%d pages, want 60 at least", len(rec.bodies))
	}
	if beyond > bodies {
		t.Errorf("the pull allocated %d bytes beyond the events it decoded, want at most the %d bytes of its pages' bodies", beyond, bodies)
	}
}

// A body buffer is given back only when nothing refers to it any more:
// with every buffer given back overwritten at once (poison), a backlog
// pulled in many small pages, the buffers reused many times over, is
// stored exactly as the central store sent it, every case and every
// journal entry. Run with -race, an entry still read while its buffer is
// reused shows too.
func TestPullBufferReuseChangesNothing(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	const n = 1500
	if err := backlogtest.Submit(ctx, c.store, unit, n); err != nil {
		t.Fatal(err)
	}
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { cfg.Logger, cfg.PageSize = nil, 40 })
	g.up.bufs.poison = true
	g.start()
	waitFor(t, 2*time.Minute, "the backlog stored", func() bool { return g.up.Status().Cursor == c.head() })
	g.stop()
	g.up.bufs.mu.Lock()
	reused, idle := g.up.bufs.reused, g.up.bufs.bytes
	g.up.bufs.mu.Unlock()
	if reused < 20 || idle != 0 {
		t.Fatalf("%d buffers lent again, %d bytes kept after the pull; want 20 at least, and none", reused, idle)
	}
	// The central store's events as it sends them, fetched apart.
	var sent [][]byte
	var evs []wire.Event
	for after := uint64(0); ; {
		page, raw, _, err := g.up.getInboxEvents(ctx, wire.InboxQuery{After: after, Limit: wire.MaxInboxLimit})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range raw {
			sent = append(sent, bytes.Clone(r))
		}
		evs = append(evs, page.Events...)
		if !page.More {
			break
		}
		after = page.Cursor
	}
	journal, err := g.svc.Journal(ctx, 0, len(sent)+1)
	if err != nil {
		t.Fatal(err)
	}
	if len(journal) != len(sent) {
		t.Fatalf("%d journal entries, want %d", len(journal), len(sent))
	}
	for i, e := range journal {
		if !bytes.Equal(e.Event, sent[i]) {
			t.Fatalf("journal entry %d: %.80q, the central store sent %.80q", e.Seq, e.Event, sent[i])
		}
	}
	for _, ev := range evs {
		if got := g.caseText(ev.CaseID); got != ev.Case.Text {
			t.Fatalf("case %s stored with text %.40q, the central store sent %.40q", ev.CaseID, got, ev.Case.Text)
		}
	}
}
