package uplink

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// checkInbound compares the gateway's cases with the model (the ids the
// central store accepted): none lost, none extra, each received once.
func checkInbound(t *testing.T, g *gateway, submitted map[string]bool) {
	t.Helper()
	got := g.ids()
	if lost := diff(submitted, got); len(lost) > 0 {
		t.Errorf("lost at the gateway: %s", fmtIDs(lost))
	}
	if extra := diff(got, submitted); len(extra) > 0 {
		t.Errorf("at the gateway but never submitted: %s", fmtIDs(extra))
	}
	var twice []string
	recv := g.receives()
	for id := range submitted {
		if recv[id] != 1 {
			twice = append(twice, id)
		}
	}
	if len(twice) > 0 {
		t.Errorf("received other than once: %s", fmtIDs(twice))
	}
}

// TestCentralRestart: the central store restarts (server and file) five
// times while 300 cases are being submitted and pulled; afterwards every
// case is at the gateway exactly once.
func TestCentralRestart(t *testing.T) {
	const n = 300
	c := startCentral(t)
	g := newGateway(t, c.url(), unitCert(t), nil)
	g.start()

	submitted := make(map[string]bool, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	progress := make(chan int) // unbuffered: a restart falls between two submissions
	wg.Go(func() {
		for i := range n {
			id := c.submit(i)
			mu.Lock()
			submitted[id] = true
			mu.Unlock()
			progress <- i
		}
	})
	restarts := 0
	for i := range progress {
		if i%50 == 49 && i < n-1 {
			// Restart once the gateway has pulled from the running store,
			// so that every restart falls in the middle of the sync.
			waitFor(t, 10*time.Second, "pulled before the restart", func() bool { return g.up.Status().Cursor > uint64(i-25) })
			c.restart()
			restarts++
		}
		if i == n-1 {
			break
		}
	}
	wg.Wait()
	head := c.head()
	if head != n {
		t.Fatalf("the central store's head is %d after %d submissions", head, n)
	}
	waitFor(t, 20*time.Second, "all cases stored", func() bool { return g.up.Status().Cursor == head })
	g.stop()
	checkInbound(t, g, submitted)
	if k := countLogged(g.logs.String(), "stream connected"); k < 2 {
		t.Errorf("the stream connected %d times in %d restarts; the restarts did not reach the gateway", k, restarts)
	}
	t.Logf("%d restarts, %d stream connects, %d pull failures", restarts,
		countLogged(g.logs.String(), "stream connected"), countLogged(g.logs.String(), "pull failed; will retry"))
	checkNoPatientData(t, "gateway", g.logs.String())
}

// TestProxyCuts: a proxy between the gateway and the central store cuts
// every live connection again and again while a 500-case backlog is pulled
// (in pages of 20) and while 400 answers, each after an assignment, are
// pushed. Nothing is lost or duplicated on either side.
func TestProxyCuts(t *testing.T) {
	const n, answered = 500, 400
	c := startCentral(t)
	submitted := make(map[string]bool, n)
	order := make([]string, 0, n)
	for i := range n {
		id := c.submit(i)
		submitted[id] = true
		order = append(order, id)
	}
	p := newProxy(t, c.addr)
	g := newGateway(t, p.url(), unitCert(t), func(cfg *Config) {
		cfg.PageSize = 20
		cfg.MaxBackoff = 200 * time.Millisecond
	})

	// The cutter cuts every live connection at a random moment 0–8 ms
	// after the uplink last made progress (a case stored, an item
	// confirmed): cuts fall anywhere in handshakes, requests, answers and
	// acks, yet never so fast that nothing can get through.
	cutter := func() (stop func() int) {
		done := make(chan struct{})
		var wg sync.WaitGroup
		cuts := 0
		wg.Go(func() {
			r := rand.New(rand.NewPCG(1, 2))
			for {
				last := g.rec.progress()
				select {
				case <-done:
					return
				case <-time.After(time.Duration(r.IntN(8000)) * time.Microsecond):
				}
				p.cut()
				cuts++
				for g.rec.progress() == last {
					select {
					case <-done:
						return
					case <-time.After(time.Millisecond):
					}
				}
			}
		})
		return func() int { close(done); wg.Wait(); return cuts }
	}

	stop := cutter()
	g.start()
	waitFor(t, 30*time.Second, "backlog stored", func() bool { return g.up.Status().Cursor == uint64(n) })
	pullCuts := stop()
	checkInbound(t, g, submitted)

	// Answers go back while the cutter runs again.
	stop = cutter()
	want := make(map[string]bool, answered)
	for _, id := range order[:answered] {
		g.answer(id)
		want[id] = true
	}
	waitFor(t, 30*time.Second, "outbox empty", func() bool { return g.pending() == 0 })
	pushCuts := stop()
	g.stop()

	got := make(map[string]bool)
	for i, id := range order {
		pc := c.patientCase(i, id)
		switch k := pc.StaffMessages(); {
		case k > 1:
			t.Errorf("case %s: the patient sees %d answers", id, k)
		case k == 1:
			got[id] = true
			if pc.Status != wire.StatusAnswered {
				t.Errorf("case %s: answered but shows status %s", id, pc.Status)
			}
		case pc.Status != wire.StatusReceived:
			t.Errorf("case %s: not answered but shows status %s", id, pc.Status)
		}
	}
	if lost := diff(want, got); len(lost) > 0 {
		t.Errorf("answers lost: %s", fmtIDs(lost))
	}
	if extra := diff(got, want); len(extra) > 0 {
		t.Errorf("answers nobody wrote: %s", fmtIDs(extra))
	}
	if k := len(c.notifier.Notices()); k != answered {
		t.Errorf("%d patient notices, want %d (one per answer)", k, answered)
	}
	p.mu.Lock()
	live := p.cuts
	p.mu.Unlock()
	t.Logf("cuts: %d while pulling, %d while pushing, %d of them hit live connections", pullCuts, pushCuts, live)
	if live < 10 {
		t.Errorf("only %d cuts hit live connections; the test did not test much", live)
	}
	if g.up.Status().LastError == "" {
		t.Error("no failure was recorded; the cuts did not reach the uplink")
	}
	dups := sumLogged(g.logs.String(), "outbox pushed", "duplicates")
	t.Logf("%d pull failures, %d push failures, %d items the central store already had (its answer was cut)",
		countLogged(g.logs.String(), "pull failed; will retry"), countLogged(g.logs.String(), "push failed; will retry"), dups)
	if dups == 0 {
		t.Error("no cut fell between the central store's commit and its answer; the test did not test much")
	}
	checkNoPatientData(t, "gateway", g.logs.String())
}
