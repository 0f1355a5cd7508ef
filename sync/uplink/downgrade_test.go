package uplink

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
)

// TestPlainAfterSwitchRefused: once the central store has confirmed that
// it seals the unit's events from a sequence number on, a case or a
// follow-up it sends in plain text after that number is a downgrade (a
// central store, or whatever answers in its name, that stopped sealing)
// and is refused like a sealed event that does not open: quarantined as
// "sealed.plain", never applied. The mark is durable: after a restart,
// with the central store unreachable or answering as an older release
// (404), plain content is still refused. Events before the switch, and
// events that carry no content (a withdrawal), still apply; the unit's
// own setting central.sealing = false lifts the mark.
func TestPlainAfterSwitchRefused(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	g := sealedGateway(t, c.url(), true)
	g.start()
	waitFor(t, 10*time.Second, "sealing on", func() bool { return g.up.Status().Sealing == SealingOn })
	from, on, err := g.db.SealedFrom(ctx)
	if err != nil || !on {
		t.Fatalf("the gateway did not record the switch: %d, %v, %v", from, on, err)
	}
	g.stop()

	at := time.Now().UTC().Truncate(time.Millisecond)
	created := func(seq uint64, id string) wire.Event {
		return wire.Event{Seq: seq, ID: "ev-" + id, Kind: wire.EventCaseCreated,
			CaseID: "01jbq3z6m0a8vcs9fkd2x7gq" + id, At: at,
			Case: &wire.NewCase{Type: "advice-nurse", Patient: wire.Person{PNR: patients[0], Name: patientName}, Text: caseText}}
	}
	before := created(from-1, "0a")
	if from == 0 {
		t.Fatal("sealing recorded from seq 0")
	}
	after := created(from, "1a")
	follow := wire.Event{Seq: from + 1, ID: "ev-follow", Kind: wire.EventCaseFollowUp, CaseID: before.CaseID, At: at,
		Message: &wire.PatientMessage{ID: "m-follow", Text: caseText}}
	withdrawn := wire.Event{Seq: from + 2, ID: "ev-withdrawn", Kind: wire.EventCaseWithdrawn, CaseID: before.CaseID, At: at}
	events := []wire.Event{before, after, follow, withdrawn}

	// A restart with the central store gone: the mark holds.
	g.cfg.BaseURL = "https://127.0.0.1:1"
	g.restartUplink()
	in, err := g.up.inbound(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "plain", "plain", ""}
	for i, ev := range in {
		if ev.SealRefusal != want[i] {
			t.Errorf("event %s after a restart: refusal %q, want %q", events[i].ID, ev.SealRefusal, want[i])
		}
		if ev.SealRefusal != "" && (ev.Submission != nil || ev.Text != "") {
			t.Errorf("refused event %s carries content", events[i].ID)
		}
	}
	rep, err := g.svc.ApplyChained(ctx, in, cases.SyncHead{Seq: withdrawn.Seq, Incarnation: strings.Repeat("a", 32)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Quarantined != 2 || g.ids()[after.CaseID] {
		t.Errorf("applied %d, quarantined %d; the plain case after the switch is here: %v", rep.Applied, rep.Quarantined, g.ids()[after.CaseID])
	}
	if n := g.up.Status().SealedRefused; n != 2 {
		t.Errorf("SealedRefused %d, want 2", n)
	}

	// A central store that answers as a release without sealing (404 to
	// the sealing key and the switch): the mark still holds, and says so.
	older := serveTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wire.WriteProblem(w, *wire.NotFound("No such endpoint."))
	}))
	g.cfg.BaseURL = older.URL
	g.restartUplink()
	g.start()
	waitFor(t, 10*time.Second, "the older release seen", func() bool { return g.up.Status().SealingKey == SealingKeyUnsupported })
	g.stop()
	if in, err = g.up.inbound(ctx, []wire.Event{created(from+3, "3a")}); err != nil {
		t.Fatal(err)
	}
	if in[0].SealRefusal != "plain" {
		t.Errorf("behind a central store answering 404, a plain case is not refused: %q", in[0].SealRefusal)
	}
	if !strings.Contains(g.logs.String(), "confirmed sealing the unit's events before") {
		t.Error("the downgrade to a release without sealing is not logged")
	}

	// The unit switches sealing off itself: plain content applies again.
	g.cfg.Sealing = false
	g.restartUplink()
	g.start()
	waitFor(t, 10*time.Second, "the mark lifted", func() bool {
		_, on, err := g.db.SealedFrom(ctx)
		return err == nil && !on
	})
	g.stop()
	in, err = g.up.inbound(ctx, []wire.Event{created(from+3, "2a")})
	if err != nil {
		t.Fatal(err)
	}
	if in[0].SealRefusal != "" {
		t.Errorf("with central.sealing off, a plain case is refused: %q", in[0].SealRefusal)
	}
}
