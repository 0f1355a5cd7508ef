package uplink

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// sealedGateway is a gateway with its sealing key made and central.sealing on.
func sealedGateway(t *testing.T, baseURL string, on bool) *gateway {
	t.Helper()
	g := newGateway(t, baseURL, unitCert(t), func(c *Config) { c.Sealing = on })
	if _, _, err := g.db.EnsureSealingKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	g.cfg.SealingKeys = g.db
	g.restartUplink()
	return g
}

// sealGateway gives g (not started) its sealing key and central.sealing on.
func sealGateway(t *testing.T, g *gateway) {
	t.Helper()
	if _, _, err := g.db.EnsureSealingKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	g.cfg.Sealing, g.cfg.SealingKeys = true, g.db
	g.restartUplink()
}

// TestSealedEndToEnd: over real mutual TLS with the reference central
// store and central.sealing on, the gateway publishes its key and
// switches sealing on; cases and a follow-up written after it arrive
// sealed, open and apply as plain ones would; the central store's file
// holds none of the patients' names, personnummer, answers or texts, and
// neither log does.
func TestSealedEndToEnd(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	g := sealedGateway(t, c.url(), true)
	g.start()
	waitFor(t, 10*time.Second, "sealing on", func() bool { return g.up.Status().Sealing == SealingOn })
	const followText = "Kanariefölje: nu har jag feber också"
	ids := make([]string, 4)
	for i := range ids {
		ids[i] = c.submit(i)
	}
	c.mu.RLock()
	err := c.store.FollowUp(ctx, patients[0], ids[0], followText)
	c.mu.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the sealed cases and the follow-up applied", func() bool {
		have := g.ids()
		for _, id := range ids {
			if !have[id] {
				return false
			}
		}
		cs, err := g.svc.Get(ctx, distributor, cases.ID(ids[0]))
		return err == nil && len(cs.Messages) == 2
	})
	for _, id := range ids {
		if got := g.caseText(id); got != caseText {
			t.Errorf("case %s opened to the text %q", id, got)
		}
	}
	cs, _ := g.svc.Get(ctx, distributor, cases.ID(ids[0]))
	if cs.Messages[1].Text != followText || cs.Patient.Name != patientName || string(cs.Patient.PNR) != patients[0] {
		t.Errorf("the case opened to %q, %q, %q", cs.Messages[1].Text, cs.Patient.Name, cs.Patient.PNR)
	}
	if st := g.up.Status(); st.SealedRefused != 0 || st.Quarantined != 0 {
		t.Errorf("refused %d, quarantined %d", st.SealedRefused, st.Quarantined)
	}
	g.stop()
	c.close()
	file, err := os.ReadFile(c.path)
	if err != nil {
		t.Fatal(err)
	}
	canaries := []string{patientName, caseText, followText, "Kanariefråga"}
	for _, p := range patients {
		canaries = append(canaries, p, p[2:])
	}
	for _, canary := range canaries {
		if bytes.Contains(file, []byte(canary)) {
			t.Errorf("the central store's file holds %q", canary)
		}
	}
	checkNoPatientData(t, "the central store's", c.logs.String())
	checkNoPatientData(t, "the gateway's", g.logs.String())
}

// TestSealedRefusalsQuarantined: a sealed event that does not open — to
// another unit, to a stranger's key, to a retired key, truncated, with a
// bit flipped, moved to another event, or opening to content of another
// kind — is never applied: each goes to the quarantine with its reason,
// the good one beside them applies.
func TestSealedRefusalsQuarantined(t *testing.T) {
	ctx := context.Background()
	g := sealedGateway(t, "https://127.0.0.1:1", false)
	old, _, err := g.db.CurrentSealingPublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.db.RotateSealingKey(ctx); err != nil {
		t.Fatal(err)
	}
	if err := g.db.RetireSealingKey(ctx, old.ID()); err != nil {
		t.Fatal(err)
	}
	cur, _, err := g.db.CurrentSealingPublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stranger, _ := seal.GenerateKey(rand.Reader)
	epochs := seal.NewEpochs(time.Now, rand.Reader)
	at := time.Now().UTC().Truncate(time.Millisecond)
	plain := func(i int) wire.Event {
		return wire.Event{Seq: uint64(i + 1), ID: "ev-" + string(rune('a'+i)), Kind: wire.EventCaseCreated,
			CaseID: "01jbq3z6m0a8vcs9fkd2x7gq" + string(rune('0'+i)) + "a", At: at,
			Case: &wire.NewCase{Type: "advice-nurse", Patient: wire.Person{PNR: patients[i%len(patients)], Name: patientName}, Text: caseText}}
	}
	sealTo := func(ev wire.Event, pub *seal.PublicKey, unitID string, c seal.Context) wire.Event {
		pt, err := wire.ContentOf(ev)
		if err != nil {
			t.Fatal(err)
		}
		if c.ID == "" {
			c = seal.EventContext(unitID, ev)
		}
		env, err := epochs.Seal(pub, c, pt)
		if err != nil {
			t.Fatal(err)
		}
		ev.Case, ev.Message, ev.Sealed = nil, nil, base64.StdEncoding.EncodeToString(env)
		return ev
	}
	mangle := func(ev wire.Event, f func([]byte) []byte) wire.Event {
		env, _ := ev.SealedBytes()
		ev.Sealed = base64.StdEncoding.EncodeToString(f(bytes.Clone(env)))
		return ev
	}
	good := sealTo(plain(0), cur, unit, seal.Context{})
	msg, _ := wire.ContentOf(wire.Event{Message: &wire.PatientMessage{ID: "m1", Text: caseText}})
	wrongKind := plain(8)
	if env, err := epochs.Seal(cur, seal.EventContext(unit, wrongKind), msg); err == nil {
		wrongKind.Case, wrongKind.Sealed = nil, base64.StdEncoding.EncodeToString(env)
	}
	events := []wire.Event{
		good,
		sealTo(plain(1), cur, "SE2321000016-C001", seal.Context{}),
		sealTo(plain(2), stranger.Public(), unit, seal.Context{}),
		sealTo(plain(3), old, unit, seal.Context{}),
		mangle(sealTo(plain(4), cur, unit, seal.Context{}), func(b []byte) []byte { return b[:len(b)-5] }),
		mangle(sealTo(plain(5), cur, unit, seal.Context{}), func(b []byte) []byte { b[len(b)-20] ^= 0x10; return b }),
		sealTo(plain(6), cur, unit, seal.Context{Unit: unit, ID: "ev-other", Kind: "case.created x"}),
		mangle(sealTo(plain(7), cur, unit, seal.Context{}), func(b []byte) []byte { b[8+len(unit)+seal.KeyIDSize+100] ^= 1; return b }), // in the encapsulated key
		wrongKind,
		mangle(sealTo(wire.Event{Seq: 10, ID: "ev-follow", Kind: wire.EventCaseFollowUp, CaseID: good.CaseID, At: at,
			Message: &wire.PatientMessage{ID: "m-follow", Text: caseText}}, cur, unit, seal.Context{}),
			func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }),
	}
	want := []string{"", "sealed.wrong-unit", "sealed.unknown-key", "sealed.retired-key", "sealed.truncated",
		"sealed.altered", "sealed.altered", "sealed.altered", "sealed.content", "sealed.altered"}
	for _, ev := range events {
		if err := ev.Validate(); err != nil {
			t.Fatalf("event %s: %v", ev.ID, err)
		}
	}
	in, err := g.up.inbound(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := g.svc.ApplyChained(ctx, in, cases.SyncHead{Seq: uint64(len(events)), Incarnation: strings.Repeat("a", 32)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Applied != 1 || rep.Quarantined != len(events)-1 {
		t.Fatalf("applied %d, quarantined %d; want 1 and %d", rep.Applied, rep.Quarantined, len(events)-1)
	}
	qs, err := g.svc.Quarantine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, q := range qs {
		got[q.Event.EventID] = q.Field
		if q.Event.Submission != nil || q.Event.Text != "" {
			t.Errorf("quarantined %s carries content", q.Event.EventID)
		}
	}
	for i, ev := range events[1:] {
		if got[ev.ID] != want[i+1] {
			t.Errorf("event %d (%s): quarantined as %q, want %q", i+1, ev.ID, got[ev.ID], want[i+1])
		}
	}
	if !g.ids()[good.CaseID] || len(g.ids()) != 1 {
		t.Errorf("cases here: %v, want only %s", g.ids(), good.CaseID)
	}
	if c, err := g.svc.Get(ctx, distributor, cases.ID(good.CaseID)); err != nil || len(c.Messages) != 1 {
		t.Errorf("the good case after a follow-up that did not open: %v, %+v", err, c.Messages)
	}
	if n := g.up.Status().SealedRefused; n != len(events)-1 {
		t.Errorf("SealedRefused %d", n)
	}
}
