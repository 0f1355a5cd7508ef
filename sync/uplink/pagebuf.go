package uplink

import "sync"

// A pulled page's body is read into a buffer the pull lends
// (wire.DecodeChainedPageEventsInto), not a new one each time: a backlog
// of 100k realistic cases reads 250 MB of bodies, and a new buffer each
// page made the garbage collector run for them on the two cores the
// applying goroutine shares with it.
//
// The journal entries of a page's events are parts of its body (its raw
// events, as the central store sent them, chainPage), and nothing else
// refers to it: the page's strings are copies. The body so goes back to
// the pool only once the case service has stored every one of those
// entries (ApplyChained has returned for each commit of the page's
// events: pullAll) or the page had none. A page that is dropped (a
// failed pull, a cancelled prefetch, a page held back) leaves its body to
// the garbage collector; it is never given back while a page, a journal
// entry or a commit that holds it may still be used.
//
// The pool is bounded by bytes (bufPoolBytes, a buffer above
// bufMaxBytes is not kept): the buffers it keeps idle count in the
// gateway's memory as the bodies in flight do (BenchmarkBurstRSS). It
// is emptied when a pull ends (pullAll), so that a gateway with nothing
// to pull keeps none.
const (
	bufPoolBytes = 2 * commitBytes
	bufMaxBytes  = commitBytes
)

// bufPool is the idle body buffers.
type bufPool struct {
	mu    sync.Mutex
	free  [][]byte
	bytes int
	// poison, in tests, overwrites a buffer given back, so that a use
	// after it shows as changed bytes.
	poison bool
	reused int // buffers lent again, for tests
}

// get returns an idle buffer, the largest, or nil when there is none.
func (p *bufPool) get() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	best := -1
	for i, b := range p.free {
		if best < 0 || cap(b) > cap(p.free[best]) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	b := p.free[best]
	last := len(p.free) - 1
	p.free[best], p.free[last] = p.free[last], nil
	p.free = p.free[:last]
	p.bytes -= cap(b)
	p.reused++
	return b[:0]
}

// empty drops the idle buffers.
func (p *bufPool) empty() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.free)
	p.free, p.bytes = p.free[:0], 0
}

// put gives back buffers that nothing refers to any more; those that
// would take the pool over its bound are dropped.
func (p *bufPool) put(bufs ...[]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range bufs {
		if cap(b) == 0 || cap(b) > bufMaxBytes || p.bytes+cap(b) > bufPoolBytes {
			continue
		}
		if p.poison {
			b = b[:cap(b)]
			for i := range b {
				b[i] = 'X'
			}
		}
		p.free = append(p.free, b[:0])
		p.bytes += cap(b)
	}
}
