package central

import (
	"net/http"
	"runtime"
	"runtime/debug"
	"testing"

	"clinicgw/sync/wire"
)

// discardWriter is a ResponseWriter that keeps the status and the bytes'
// count of what is written to it, not the bytes.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// Serving inbox pages one after the other reuses the page's buffer: the
// bytes allocated are not a page's size per page (issue 18: a backlog of
// 100k realistic cases is 500 pages of 512 KiB, 265 MB of garbage and
// about 60 garbage collections in the central store beside the
// gateway). The collector is off while it counts, so that the buffers
// kept between pages stay kept; each P keeps its own (sync.Pool), so a
// goroutine moved to another P may make one more buffer per P.
func TestInboxPageBufferReused(t *testing.T) {
	e := newEnv(t)
	const events = 200
	e.submitPage(unitA, events)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	serve := func() int {
		w := &discardWriter{h: http.Header{}}
		r, err := http.NewRequest(http.MethodGet, wire.PathInbox2+"?"+wire.InboxQuery{After: 0, Limit: events}.Encode(), nil)
		if err != nil {
			t.Fatal(err)
		}
		e.store.serveInboxOf(w, r, unitA, true)
		if w.status != http.StatusOK {
			t.Fatalf("inbox: status %d", w.status)
		}
		return w.n
	}
	size := uint64(serve()) // the first page makes a buffer
	procs := uint64(runtime.GOMAXPROCS(0))
	pages := 10 * procs
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for range pages {
		if n := serve(); uint64(n) != size {
			t.Fatalf("a page of %d bytes, then one of %d", size, n)
		}
	}
	runtime.ReadMemStats(&m1)
	alloc := m1.TotalAlloc - m0.TotalAlloc
	t.Logf("%d pages of %d bytes: %d bytes allocated per page", pages, size, alloc/pages)
	if most := (procs-1)*size + pages*size/16; alloc > most {
		t.Errorf("serving %d pages of %d bytes allocated %d bytes, %d per page, want at most %d in all (the buffer reused)",
			pages, size, alloc, alloc/pages, most)
	}
}
