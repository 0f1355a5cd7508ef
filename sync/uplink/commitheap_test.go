package uplink

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire"
)

// commitsOf pulls a backlog that submit puts to a fresh central store
// (n cases) through a real uplink and store, the uplink's clock stopped
// (clocktest: a commit waits for its whole pages, never for fillWait,
// so each commit's size is the bound's, not the machine's), and returns
// the commits it made.
func commitsOf(t *testing.T, n int, submit func(c *centralSrv)) []loggedCommit {
	t.Helper()
	c := startCentral(t)
	submit(c)
	log := &commitLog{}
	fake := clocktest.New(time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC))
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) {
		log.Cases, cfg.Cases, cfg.Clock, cfg.Logger = cfg.Cases, log, fake, nil
	})
	g.start()
	waitFor(t, 2*time.Minute, "the backlog stored", func() bool { return g.rec.progress() >= n })
	g.stop()
	log.mu.Lock()
	defer log.mu.Unlock()
	return log.commits
}

// smallEventHeap is what a small case (smallSubmission) holds on the heap
// while a commit applies it, and realisticEventHeap a realistic one
// (BenchmarkHeapPerEvent, 2026-12-07: 11.5 KB and 17–20 KB).
const (
	smallEventHeap     = 11_500
	realisticEventHeap = 18_000
)

// A backlog of small cases (a line of text, short answers) is committed
// in commits that hold on the heap no more than a commit of realistic
// cases does: an event costs the store some 8 KB whatever its size (its
// case and journal records, its index entries and access-log entry, its
// share of the index pages a commit rewrites), so a bound by the events'
// bytes alone let commits of 2,000 small cases hold half as much again
// as a commit of 790 realistic ones (BenchmarkBurstRSS -uplink.burst.small:
// 63.0–66.1 MiB, over the goal, where realistic cases took 56). Commits
// of realistic cases stay whole.
func TestSmallCommitsBoundedByHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("a backlog of 5,000 cases")
	}
	const n = 5000
	small := commitsOf(t, n, func(c *centralSrv) { submitSmall(t, c, n) })
	realistic := commitsOf(t, n, func(c *centralSrv) { submitRealistic(t, c, n) })
	most := 0
	for _, cm := range realistic {
		most = max(most, cm.events*realisticEventHeap)
	}
	for i, cm := range small {
		if held := cm.events * smallEventHeap; held > most*5/4 {
			t.Errorf("commit %d of small cases holds %d events, about %.1f MB on the heap; a realistic commit at most %.1f MB",
				i, cm.events, float64(held)/1e6, float64(most)/1e6)
		}
	}
	// The heap bound leaves a commit of realistic cases whole: all its
	// pages (the first and the last commit of a backlog are less).
	for i, cm := range realistic[1 : len(realistic)-1] {
		if cm.bytes < (2*prefetchPages-1)*pageBytes/2 {
			t.Errorf("commit %d of realistic cases holds %d events of %d bytes, less than %d pages of %d bytes", i+1, cm.events, cm.bytes, prefetchPages, pageBytes)
		}
	}
	t.Logf("commits of %d cases: small %s, realistic %s", n, sizes(small), sizes(realistic))
}

// sizes is the events of each commit.
func sizes(commits []loggedCommit) string {
	s := ""
	for _, cm := range commits {
		s += fmt.Sprintf(" %d", cm.events)
	}
	return fmt.Sprintf("%d:%s", len(commits), s)
}

// The measure the commit bound counts an event by follows what the
// event holds on the heap while a commit applies it, within a factor of
// 2 across small, realistic and maximum-size cases (measured here:
// heapOfCommit), so that the bound holds commits of every kind to about
// the same memory.
func TestEventMeasureFollowsHeap(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("ten thousand cases and a collector that runs all the time: three minutes with the race detector")
	}
	lo, hi := 0.0, 0.0
	for _, kind := range heapKinds(10000) {
		m := measureHeap(t, kind, 2)
		ev := eventOfBytes(int(m.bytes))
		r := m.peak / float64(eventHeap(ev))
		t.Logf("%s: %.0f bytes an event (eventBytes), %.0f on the heap at the commit's peak, measure %d: %.2f of it", kind.name, m.bytes, m.peak, eventHeap(ev), r)
		if lo == 0 || r < lo {
			lo = r
		}
		hi = max(hi, r)
	}
	if hi > 2*lo {
		t.Errorf("the heap an event holds is %.2f to %.2f times the measure the commit bound counts it by: commits of some kinds hold %.1f times what others do", lo, hi, hi/lo)
	}
}

// eventOfBytes is an event of n bytes by eventBytes (n at least its
// allowance).
func eventOfBytes(n int) wire.Event {
	ev := wire.Event{Message: &wire.PatientMessage{}}
	ev.Message.Text = strings.Repeat("a", max(0, n-eventBytes(ev)))
	return ev
}
