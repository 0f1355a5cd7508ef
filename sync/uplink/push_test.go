package uplink

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/logtest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/caseid"
)

// memCases is an in-memory Cases: an outbox and a cursor.
type memCases struct {
	mu     sync.Mutex
	outbox []cases.Outbound
	cursor uint64
	head   cases.SyncHead
	known  bool
}

func newMemCases(items ...cases.Outbound) *memCases { return &memCases{outbox: items} }

func (m *memCases) SyncCursor(context.Context) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cursor, nil
}

func (m *memCases) ApplyChained(_ context.Context, _ []cases.Inbound, head cases.SyncHead, _ []cases.JournalEntry) (cases.ApplyReport, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cursor = max(m.cursor, head.Seq)
	m.head, m.known = head, true
	return cases.ApplyReport{}, nil
}

func (m *memCases) SyncHead(context.Context) (cases.SyncHead, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.head, m.known, nil
}

func (m *memCases) Journal(context.Context, uint64, int) ([]cases.JournalEntry, error) {
	return nil, nil
}

func (m *memCases) JournalLinks(context.Context, uint64, int) ([]cases.JournalEntry, error) {
	return nil, nil
}

func (m *memCases) RetainedOutbound(context.Context, uint64, int) ([]cases.Retained, error) {
	return nil, nil
}

func (m *memCases) ResetSync(_ context.Context, head cases.SyncHead) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cursor, m.head, m.known = head.Seq, head, true
	return nil
}

func (m *memCases) RetryQuarantine(context.Context) (cases.RetryReport, error) {
	return cases.RetryReport{}, nil
}

func (m *memCases) Quarantine(context.Context) ([]cases.Quarantined, error) { return nil, nil }

func (m *memCases) PendingOutbound(_ context.Context, n int) ([]cases.Outbound, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.outbox[:min(n, len(m.outbox))]), nil
}

func (m *memCases) ConfirmOutbound(_ context.Context, keys []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.outbox = slices.DeleteFunc(m.outbox, func(o cases.Outbound) bool { return slices.Contains(keys, o.Key) })
	return nil
}

func (m *memCases) ParkOutbound(_ context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.outbox, func(o cases.Outbound) bool { return o.Key == key })
	if i < 0 || !m.outbox[i].ParkedAt.IsZero() {
		return false, nil
	}
	m.outbox[i].ParkedAt = time.Now()
	return true, nil
}

func (m *memCases) keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var k []string
	for _, o := range m.outbox {
		k = append(k, o.Key)
	}
	return k
}

// scriptedCentral is a central store that rejects the keys it is told to
// and records every batch it gets. It has no stream.
type scriptedCentral struct {
	mu      sync.Mutex
	reject  map[string]bool
	batches [][]string
}

func (s *scriptedCentral) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case wire.PathInbox2:
		q, err := wire.ParseInboxQuery(r.URL.Query())
		if err != nil {
			wire.WriteProblem(w, *wire.ProblemOf(err))
			return
		}
		_ = wire.WriteJSON(w, http.StatusOK, fakePage(nil, q.After))
	case wire.PathOutbox2:
		batch, err := wire.DecodeOutboxBatch2(r.Body)
		if err != nil {
			wire.WriteProblem(w, *wire.ProblemOf(err))
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		var res wire.OutboxResult
		var keys []string
		for _, it := range batch.Items {
			keys = append(keys, it.IdempotencyKey)
			x := wire.ItemResult{IdempotencyKey: it.IdempotencyKey, Status: wire.ItemAccepted}
			if s.reject[it.IdempotencyKey] {
				// Not a conflict: a conflict is parked, not held back.
				x.Status, x.Problem = wire.ItemRejected, wire.Forbidden("The case is not one of this care unit's cases.")
			}
			res.Results = append(res.Results, x)
		}
		s.batches = append(s.batches, keys)
		_ = wire.WriteJSON(w, http.StatusOK, res)
	default:
		wire.WriteProblem(w, *wire.NotFound("No stream here."))
	}
}

func (s *scriptedCentral) sent() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.batches)
}

func (s *scriptedCentral) accept(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.reject, key)
}

// TestRejectedHeldBack: a rejected item is held back for MaxBackoff while
// other cases' items go on; a case's next item waits behind it; an item
// the wire would refuse is never sent; nothing of a case is sent before
// its previous item is confirmed.
func TestRejectedHeldBack(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	id := func(i int) cases.ID {
		x, err := caseid.New(now.Add(time.Duration(i)*time.Millisecond), nil)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	a, b, c, d := id(1), id(2), id(3), id(4)
	msg := func(key string, cid cases.ID, text string) cases.Outbound {
		return cases.Outbound{Key: key, CaseID: cid, Kind: cases.OutboundAnswer, At: now, Status: cases.Answered, MessageID: "m-" + key, Text: text}
	}
	mem := newMemCases(
		msg("a1", a, "svar"), msg("b1", b, "svar"), msg("d1", d, ""), // d1 has no text: the wire refuses it
		msg("a2", a, "svar"), msg("c1", c, "svar"), msg("b2", b, "svar"), msg("d2", d, "svar"),
	)
	central := &scriptedCentral{reject: map[string]bool{"a1": true}}
	srv := serveTLS(t, central)

	clock := clocktest.New(now)
	logs := &logtest.Buffer{}
	up, err := New(Config{BaseURL: srv.URL, TLS: tlsconf.Client(unitCert(t), testPKI().RootPool(), "127.0.0.1", nil),
		Cases: mem, Clock: clock, Logger: newLogger(logs), MaxBackoff: time.Minute, PushInterval: time.Hour, PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- up.Run(ctx) }()
	defer func() { cancel(); <-done }()

	waitFor(t, 10*time.Second, "other cases' items confirmed", func() bool {
		return slices.Equal(mem.keys(), []string{"a1", "d1", "a2", "d2"}) && up.Status().Rejected == 2
	})
	want := [][]string{{"a1", "b1", "c1"}, {"b2"}}
	if got := central.sent(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("batches %v, want %v", got, want)
	}
	if st := up.Status(); st.OutboxDepth != 4 || st.LastPush.IsZero() {
		t.Errorf("status %+v", st)
	}
	rejected := logLines(logs.String(), "outbox item rejected by the central store; held back")
	if len(rejected) != 1 || rejected[0]["key"] != "a1" || rejected[0]["caseId"] != string(a) ||
		rejected[0]["problem"] != wire.ProblemForbidden || rejected[0]["level"] != "ERROR" {
		t.Errorf("rejection logged as %v", rejected)
	}
	if k := countLogged(logs.String(), "outbox item cannot be sent: it breaks the sync protocol's rules; held back"); k != 1 {
		t.Errorf("the invalid item was logged %d times, want once", k)
	}

	// A Kick before MaxBackoff has passed sends nothing.
	up.Kick()
	clock.Advance(59 * time.Second)
	up.Kick()
	// After MaxBackoff the held item goes again; now it is accepted, and
	// then its case's next item follows.
	central.accept("a1")
	clock.Advance(time.Second)
	up.Kick()
	waitFor(t, 10*time.Second, "the held item and its successor confirmed", func() bool {
		return slices.Equal(mem.keys(), []string{"d1", "d2"})
	})
	want = append(want, []string{"a1"}, []string{"a2"})
	if got := central.sent(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("batches %v, want %v", got, want)
	}
	if st := up.Status(); st.Rejected != 1 || st.OutboxDepth != 2 {
		t.Errorf("status %+v: the invalid item is still held, nothing else", st)
	}
}

// TestManyRejectedDoNotStall: a good item behind more rejected items than
// one batch holds still goes in the same push, without waiting for the
// next push interval: a round that held items back made progress.
func TestManyRejectedDoNotStall(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	reject := map[string]bool{}
	var items []cases.Outbound
	for i := range 2*wire.MaxOutboxItems + 50 {
		cid, err := caseid.New(now.Add(time.Duration(i)*time.Millisecond), nil)
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("r%d", i)
		reject[key] = true
		items = append(items, cases.Outbound{Key: key, CaseID: cid, Kind: cases.OutboundStatus, At: now, Status: cases.Assigned})
	}
	good, err := caseid.New(now.Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	items = append(items, cases.Outbound{Key: "good", CaseID: good, Kind: cases.OutboundStatus, At: now, Status: cases.Assigned})
	mem := newMemCases(items...)
	central := &scriptedCentral{reject: reject}
	srv := serveTLS(t, central)
	up, err := New(Config{BaseURL: srv.URL, TLS: tlsconf.Client(unitCert(t), testPKI().RootPool(), "127.0.0.1", nil),
		Cases: mem, Clock: clocktest.New(now), MaxBackoff: time.Minute, PushInterval: time.Hour, PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- up.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, 10*time.Second, "the good item confirmed in the first push", func() bool {
		return !slices.Contains(mem.keys(), "good")
	})
	if n := len(central.sent()); n != 3 {
		t.Errorf("%d batches, want 3 (two full of rejected items, then the rest)", n)
	}
}
