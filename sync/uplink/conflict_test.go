package uplink

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
)

// TestOutboxConflictParked: an outbox item the reference central store
// refuses as a conflict (its message id already names another message
// there) is parked: it stays in the outbox, is never sent again however
// long the uplink runs, is counted in Status.Conflicts with its case, and
// is logged once with its case id and key only. Nothing of it reaches the
// patient; other cases' items go on. The parking is kept, sealed, in the
// store: after a restart the item is still parked (not sent, not logged
// again); `clinicgw quarantine retry` (UnparkOutbound, the service
// stopped) releases it to be sent once more.
func TestOutboxConflictParked(t *testing.T) {
	c := startCentral(t)
	clock := clocktest.New(time.Now())
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) {
		cfg.Clock, cfg.MaxBackoff, cfg.PushInterval = clock, time.Minute, time.Hour
	})
	first, second, third := c.submit(0), c.submit(1), c.submit(2)
	g.start()
	waitFor(t, 10*time.Second, "the cases stored", func() bool { ids := g.ids(); return ids[first] && ids[second] && ids[third] })
	g.stop()

	// The answer waits in the outbox while the uplink is stopped; the
	// central store meanwhile holds another message under its message id.
	g.answer(first)
	out, err := g.svc.PendingOutbound(context.Background(), 10)
	if err != nil || len(out) != 2 || out[1].Kind != cases.OutboundAnswer {
		t.Fatalf("outbox %d items, %v; want the assignment's status and the answer", len(out), err)
	}
	o := out[1]
	other := wire.OutboxItem{IdempotencyKey: "elsewhere-1", CaseID: first, Kind: wire.OutboxCounterQuestion, At: o.At,
		Message: &wire.StaffMessage{ID: o.MessageID, Text: "En annan fråga", AuthorTitle: authorTitle}}
	postOutbox(t, c, other)

	g.start()
	waitFor(t, 10*time.Second, "the conflict seen", func() bool {
		return countLogged(c.logs.String(), "outbox item rejected") == 1 && g.up.Status().LastPush.After(time.Time{})
	})
	// Long past MaxBackoff, an answer in another case goes; the parked
	// item does not go with it.
	clock.Advance(time.Hour)
	g.answer(second)
	waitFor(t, 10*time.Second, "the other case's answer confirmed", func() bool { return g.pending() == 1 })
	g.stop()

	if n := countLogged(c.logs.String(), "outbox item rejected"); n != 1 {
		t.Errorf("the central store saw the conflicting item %d times, want once (parked, not retried)", n)
	}
	// The patient sees the assignment and the other message, not the answer.
	if pc := c.patientCase(0, first); pc.Status != wire.StatusAssigned || len(pc.Messages) != 1 || pc.Messages[0].Text != other.Message.Text {
		t.Errorf("the patient's case: %s with %d messages, want assigned with the earlier message only", pc.Status, len(pc.Messages))
	}
	if pc := c.patientCase(1, second); pc.Status != wire.StatusAnswered {
		t.Errorf("the other case: %s, want answered", pc.Status)
	}
	st := g.up.Status()
	if st.Conflicts != 1 || !slices.Equal(st.ConflictCases, []cases.ID{cases.ID(first)}) {
		t.Errorf("status: %d conflicts in %v, want 1 in case %s", st.Conflicts, st.ConflictCases, first)
	}
	lines := logLines(g.logs.String(), "outbox item conflicts with the central store; parked, not sent again")
	if len(lines) != 1 {
		t.Fatalf("the conflict logged %d times, want once", len(lines))
	}
	for k := range lines[0] {
		if !slices.Contains([]string{"time", "level", "msg", "caseId", "key"}, k) {
			t.Errorf("the conflict's log line has %q: only the case id and the key", k)
		}
	}
	if lines[0]["caseId"] != first || lines[0]["key"] != o.Key || lines[0]["level"] != "ERROR" {
		t.Errorf("the conflict logged as %v", lines[0])
	}

	// A restart: the item is still parked, from the store, in its place:
	// the case's later change (closing it) waits behind it.
	if _, err := g.svc.Do(context.Background(), distributor, cases.ID(first), cases.Command{Action: cases.Close}); err != nil {
		t.Fatal(err)
	}
	g.restartUplink()
	g.start()
	g.answer(third)
	waitFor(t, 10*time.Second, "the third case's answer confirmed after the restart", func() bool { return g.pending() == 2 })
	g.stop()
	if pc := c.patientCase(0, first); pc.Status != wire.StatusAssigned {
		t.Errorf("the parked case's later change went before it: the patient's case is %s", pc.Status)
	}
	if n := countLogged(c.logs.String(), "outbox item rejected"); n != 1 {
		t.Errorf("after a restart the central store saw the conflicting item %d times, want once (parked in the store)", n)
	}
	if n := countLogged(g.logs.String(), "outbox item conflicts with the central store; parked, not sent again"); n != 1 {
		t.Errorf("after a restart the conflict was logged %d times, want once", n)
	}
	if st := g.up.Status(); st.Conflicts != 1 || !slices.Equal(st.ConflictCases, []cases.ID{cases.ID(first)}) {
		t.Errorf("status after a restart: %d conflicts in %v, want 1 in case %s", st.Conflicts, st.ConflictCases, first)
	}

	// Released (as `clinicgw quarantine retry` does), it goes once more.
	if n, err := g.svc.UnparkOutbound(context.Background()); err != nil || n != 1 {
		t.Fatalf("unpark: %d, %v; want 1", n, err)
	}
	g.restartUplink()
	g.start()
	waitFor(t, 10*time.Second, "the released item sent again", func() bool {
		return countLogged(c.logs.String(), "outbox item rejected") == 2
	})
	g.stop()
	checkNoPatientData(t, "gateway", g.logs.String())
}

// postOutbox sends items to the central store as the unit and requires a
// 200.
func postOutbox(t *testing.T, c *centralSrv, items ...wire.OutboxItem) wire.OutboxResult {
	t.Helper()
	b, err := wire.Marshal(wire.OutboxBatch{Items: items})
	if err != nil {
		t.Fatal(err)
	}
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsconf.Client(unitCert(t), testPKI().RootPool(), "127.0.0.1", nil), ForceAttemptHTTP2: true}}
	resp, err := cl.Post(c.url()+wire.PathOutbox, wire.ContentTypeJSON, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	res, err := wire.DecodeOutboxResult(resp.Body)
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("outbox: %d %v", resp.StatusCode, err)
	}
	return res
}

// TestFormsConflict: a form set the central store refuses as a conflict (a
// form changed without a raised version) is not retried: Status says so,
// one log line says what to do, the central store keeps the published
// set; a set with the version raised goes at once.
func TestFormsConflict(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { cfg.PushInterval = time.Hour })
	g.start()
	set := casetype.DefaultForms()
	if err := g.up.SetForms(set); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the set published", func() bool { return !g.up.Status().FormsPending })

	changed := casetype.DefaultForms()
	changed.Forms[0].Title.SV += " (ändrad)"
	if err := g.up.SetForms(changed); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the conflict seen", func() bool { return g.up.Status().FormsConflict })
	if got, _ := c.store.Forms(ctx, unit); !reflect.DeepEqual(got, set) {
		t.Error("the central store took a changed form under its old version")
	}
	const msg = "the central store refused the unit's forms: a form changed without a raised version; not published again until the forms change"
	if n := countLogged(g.logs.String(), msg); n != 1 {
		t.Errorf("the conflict logged %d times, want once", n)
	}

	changed.Forms[0].Version++
	if err := g.up.SetForms(changed); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the raised version published", func() bool {
		got, _ := c.store.Forms(ctx, unit)
		return reflect.DeepEqual(got, changed) && !g.up.Status().FormsConflict
	})
}

// TestInboundConflictCounted: a central store that delivers a second
// case.created event for a case the gateway holds, with other text, does
// not change the case: the event is quarantined, counted in
// Status.InboundConflicts and Status.Quarantined and logged by event and
// case id only; the cursor moves on.
func TestInboundConflictCounted(t *testing.T) {
	caseID, err := caseid.New(time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	created := func(seq uint64, text string) wire.Event {
		return wire.Event{Seq: seq, ID: fmt.Sprintf("ev-%d", seq), Kind: wire.EventCaseCreated, CaseID: string(caseID), At: at,
			Case: &wire.NewCase{Type: string(casetype.AdviceNurse), Patient: wire.Person{PNR: patients[0], Name: patientName}, Text: text}}
	}
	events := []wire.Event{created(1, caseText), created(2, caseText+" Kanarietillägg")}
	srv := serveTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case wire.PathInbox2:
			q, err := wire.ParseInboxQuery(r.URL.Query())
			if err != nil {
				wire.WriteProblem(w, *wire.ProblemOf(err))
				return
			}
			_ = wire.WriteJSON(w, http.StatusOK, fakePage(events, q.After))
		case wire.PathInboxAck2:
			w.WriteHeader(http.StatusNoContent)
		default:
			wire.WriteProblem(w, *wire.NotFound("No stream here."))
		}
	}))
	g := newGateway(t, srv.URL, unitCert(t), nil)
	g.start()
	waitFor(t, 10*time.Second, "the page applied", func() bool { return g.up.Status().Cursor == 2 })
	g.stop()
	if st := g.up.Status(); st.InboundConflicts != 1 || st.Quarantined != 1 {
		t.Errorf("%d inbound conflicts, %d quarantined; want 1 and 1", st.InboundConflicts, st.Quarantined)
	}
	// Not skipped: kept, sealed, in the quarantine, for region IT.
	qs, err := g.svc.Quarantine(context.Background())
	if err != nil || len(qs) != 1 || qs[0].Event.EventID != "ev-2" || qs[0].Reason != cases.QuarantineConflict {
		t.Errorf("quarantine %+v, %v; want ev-2 as a conflict", qs, err)
	}
	c, err := g.svc.Get(context.Background(), distributor, caseID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Messages[0].Text != caseText || len(c.Messages) != 1 {
		t.Error("the conflicting event changed the case")
	}
	lines := logLines(g.logs.String(), "inbound event conflicts with what is stored; quarantined")
	if len(lines) != 1 || lines[0]["eventId"] != "ev-2" || lines[0]["caseId"] != string(caseID) {
		t.Errorf("logged as %v", lines)
	}
	checkNoPatientData(t, "gateway", g.logs.String())
}
