package uplink

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/central/backlogtest"
	"clinicgw/sync/wire"
)

// publishMaxForm publishes backlogtest.MaxForm to c through a gateway's uplink.
func publishMaxForm(t testing.TB, c *centralSrv) {
	t.Helper()
	set := backlogtest.MaxForm()
	pub := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { cfg.Logger, cfg.Forms = nil, &set })
	pub.start()
	waitFor(t, 30*time.Second, "max form published", func() bool {
		got, err := c.store.Forms(context.Background(), unit)
		return err == nil && reflect.DeepEqual(got.Forms, set.Forms)
	})
	pub.stop()
}

// submitMax submits maximum-size cases from..to-1 to c
// (backlogtest.SubmitMax).
func submitMax(t testing.TB, c *centralSrv, from, to int) {
	t.Helper()
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := backlogtest.SubmitMax(context.Background(), c.store, unit, from, to); err != nil {
		t.Fatalf("submit: %v", err)
	}
}

// commitLog records every commit of central events the uplink makes;
// with failAt, the commit of that number (1, 2, …) fails once, as a crash
// before it would leave it.
type commitLog struct {
	Cases
	mu      sync.Mutex
	commits []loggedCommit
	calls   int
	failAt  int
}

type loggedCommit struct {
	duplicates    int
	events, bytes int
	head          cases.SyncHead
	lastSeq       uint64
}

func (l *commitLog) ApplyChained(ctx context.Context, in []cases.Inbound, head cases.SyncHead, journal []cases.JournalEntry) (cases.ApplyReport, error) {
	if len(in) > 0 {
		l.mu.Lock()
		l.calls++
		fail := l.calls == l.failAt
		l.mu.Unlock()
		if fail {
			return cases.ApplyReport{}, errors.New("power cut before the commit")
		}
	}
	rep, err := l.Cases.ApplyChained(ctx, in, head, journal)
	if err == nil && len(in) > 0 {
		n := 0
		for _, e := range journal {
			n += len(e.Event)
		}
		l.mu.Lock()
		l.commits = append(l.commits, loggedCommit{rep.Duplicates, len(in), n, head, journal[len(journal)-1].Seq})
		l.mu.Unlock()
	}
	return rep, err
}

// A backlog of maximum-size cases is stored in commits of at most
// commitBytes of events each (a page of them is split), every commit
// moving the cursor and chain head to its own last event, and the pull
// ends with every case stored and the cursor at the central head.
func TestCommitsBoundedByBytes(t *testing.T) {
	c := startCentral(t)
	publishMaxForm(t, c)
	const n = 40 // about 6 MB on the wire: one page of 500 events holds them all
	submitMax(t, c, 0, n)
	log := &commitLog{}
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { log.Cases = cfg.Cases; cfg.Cases = log })
	g.start()
	waitFor(t, time.Minute, "the backlog stored", func() bool { return g.rec.progress() >= n })
	waitFor(t, 10*time.Second, "the cursor at the head", func() bool { return g.up.Status().Cursor == c.head() })
	g.stop()
	log.mu.Lock()
	defer log.mu.Unlock()
	events, prev := 0, uint64(0)
	for i, cm := range log.commits {
		events += cm.events
		if cm.bytes > commitBytes+wire.MaxEventBytes/4 && cm.events > 1 {
			t.Errorf("commit %d holds %d events of %d bytes, more than %d", i, cm.events, cm.bytes, commitBytes)
		}
		if cm.head.Seq != cm.lastSeq || cm.head.Seq <= prev {
			t.Errorf("commit %d: head %d after %d, its last event %d", i, cm.head.Seq, prev, cm.lastSeq)
		}
		prev = cm.head.Seq
	}
	if events != n {
		t.Errorf("%d events committed, want %d", events, n)
	}
	head, _, err := g.svc.SyncHead(context.Background())
	if err != nil || head.Seq != c.head() {
		t.Errorf("sync head %d (%v), want the central head %d", head.Seq, err, c.head())
	}
	t.Logf("%d commits", len(log.commits))
}

// A pull that fails between two commits of a split page (the second
// never committed) resumes from the first one's cursor and chain head:
// the central store's page from there continues the chain, nothing is
// applied twice and nothing is missing.
func TestSplitPageResumesAfterFailedCommit(t *testing.T) {
	c := startCentral(t)
	publishMaxForm(t, c)
	const n = 40 // the first page (firstLimit events) is more than commitBytes: two commits
	submitMax(t, c, 0, n)
	log := &commitLog{failAt: 2}
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { log.Cases = cfg.Cases; cfg.Cases = log })
	g.start()
	waitFor(t, time.Minute, "the backlog stored", func() bool { return g.rec.progress() >= n })
	waitFor(t, 10*time.Second, "the cursor at the head", func() bool { return g.up.Status().Cursor == c.head() })
	g.stop()
	if st := g.up.Status(); st.Continuity != ContinuityOK || st.Quarantined != 0 {
		t.Errorf("continuity %q, %d quarantined after the failed commit", st.Continuity, st.Quarantined)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.commits) == 0 || log.commits[0].lastSeq >= firstLimit {
		t.Fatalf("the first page was not split: commits %+v", log.commits)
	}
	events, dups := 0, 0
	for _, cm := range log.commits {
		events += cm.events
		dups += cm.duplicates
	}
	if log.calls <= 2 || events != n || dups != 0 {
		t.Errorf("%d commit calls, %d events committed (%d duplicates), want more than 2 calls and %d events, none twice", log.calls, events, dups, n)
	}
	head, _, err := g.svc.SyncHead(context.Background())
	if err != nil || head.Seq != c.head() {
		t.Errorf("sync head %d (%v), want the central head %d", head.Seq, err, c.head())
	}
}

// commitRuns cuts at commitBytes, never an event in two, and a run of
// one event however large.
func TestCommitRuns(t *testing.T) {
	ev := func(seq uint64, text int) wire.Event {
		return wire.Event{Seq: seq, Message: &wire.PatientMessage{Text: strings.Repeat("a", text)}}
	}
	big := commitBytes - 256 - 100 // with the allowance, just under commitBytes
	for _, tc := range []struct {
		name  string
		sizes []int
		want  []int // events per run
	}{
		{"one small", []int{10}, []int{1}},
		{"all fit", []int{10, 10, 10}, []int{3}},
		{"two big", []int{big, big}, []int{1, 1}},
		{"larger than a commit", []int{3 * commitBytes, 10}, []int{1, 1}},
		{"small, big, small", []int{10, big - 400, 10}, []int{2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var events []wire.Event
			var journal []cases.JournalEntry
			for i, s := range tc.sizes {
				events = append(events, ev(uint64(i+1), s))
				journal = append(journal, cases.JournalEntry{Seq: uint64(i + 1), Link: [32]byte{byte(i + 1)}})
			}
			next := cases.SyncHead{Seq: 99, Link: [32]byte{99}, Incarnation: "inc"}
			runs := commitRuns(events, journal, next)
			var got []int
			for i, r := range runs {
				got = append(got, len(r.events))
				if len(r.journal) != len(r.events) || r.head.Incarnation != "inc" {
					t.Errorf("run %d: %d journal entries for %d events, head %+v", i, len(r.journal), len(r.events), r.head)
				}
				last := r.journal[len(r.journal)-1]
				if i < len(runs)-1 && (r.head.Seq != last.Seq || r.head.Link != last.Link) {
					t.Errorf("run %d ends at %+v, not at its last event %d", i, r.head, last.Seq)
				}
			}
			if runs[len(runs)-1].head != next {
				t.Errorf("the last run ends at %+v, want the page's head", runs[len(runs)-1].head)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("runs of %v events, want %v", got, tc.want)
			}
		})
	}
}

// The page size asked for follows the events' size: about pageBytes of
// them and pageHeap of what they hold on the heap, whichever is fewer
// events (the heap, for events of a few hundred bytes).
func TestNextLimit(t *testing.T) {
	small := []wire.Event{{Message: &wire.PatientMessage{Text: strings.Repeat("a", 1800)}}}
	large := []wire.Event{{Message: &wire.PatientMessage{Text: strings.Repeat("a", 150_000)}}}
	for _, tc := range []struct {
		events []wire.Event
		want   int
	}{
		{nil, wire.MaxInboxLimit},
		{small, min(wire.MaxInboxLimit, pageBytes/eventBytes(small[0]), pageHeap/eventHeap(small[0]))},
		{large, pageBytes / eventBytes(large[0])},
		{[]wire.Event{{Message: &wire.PatientMessage{Text: strings.Repeat("a", 2*pageBytes)}}}, 1},
		{[]wire.Event{{}}, pageHeap / eventHeap(wire.Event{})}, // by the heap: 409, not 500
	} {
		if got := nextLimit(tc.events, wire.MaxInboxLimit); got != tc.want {
			t.Errorf("nextLimit(%d events of %d bytes) = %d, want %d", len(tc.events), sizeOf(tc.events).bytes, got, tc.want)
		}
	}
}

// TestPrefetchFillsCommit: the pages fetched ahead of a backlog of
// ordinary cases add up to a whole commit (commitBytes), so the backlog
// goes in as few commits as the memory bound allows: each commit rewrites
// the pages of the indexes it touches, whatever its size.
func TestPrefetchFillsCommit(t *testing.T) {
	if ahead := prefetchPages * pageBytes; ahead < commitBytes {
		t.Errorf("%d pages of %d bytes ahead make commits of %d bytes, less than commitBytes (%d)",
			prefetchPages, pageBytes, ahead, commitBytes)
	}
}

// A sealed event is counted by its envelope, not as an event without
// content: a backlog of sealed maximum-size cases is paged and committed
// within the bytes a plain one is (it counted 263 bytes, and pages of
// them were asked 500 at a time).
func TestEventBytesCountsSealed(t *testing.T) {
	sub := backlogtest.MaxSubmission(1)
	plain := wire.Event{ID: "ev-1", CaseID: "c-1", Kind: wire.EventCaseCreated, Case: &wire.NewCase{Type: sub.FormID,
		Patient: wire.Person{PNR: sub.PatientPNR, Name: sub.PatientName}, Fields: sub.Fields, Text: sub.Text}}
	content, err := json.Marshal(wire.SealedContent{Case: plain.Case}) // what the envelope holds
	if err != nil {
		t.Fatal(err)
	}
	sealed := wire.Event{ID: plain.ID, CaseID: plain.CaseID, Kind: plain.Kind,
		Sealed: base64.StdEncoding.EncodeToString(append(make([]byte, 64), content...))}
	if got, want := eventBytes(sealed), eventBytes(plain); got < want {
		t.Errorf("a sealed maximum-size event counts %d bytes, its plain twin %d", got, want)
	}
	if got, want := nextLimit([]wire.Event{sealed}, wire.MaxInboxLimit), nextLimit([]wire.Event{plain}, wire.MaxInboxLimit); got > want {
		t.Errorf("pages of sealed maximum-size events are asked %d at a time, plain ones %d", got, want)
	}
}

// mostPerCommit is the most events a commit takes: events of no
// content, as many as mergeEvents and commitHeap allow.
func mostPerCommit() int { return min(mergeEvents, commitHeap/eventHeap(wire.Event{})) }
