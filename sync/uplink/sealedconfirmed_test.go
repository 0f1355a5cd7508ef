package uplink

import (
	"bytes"
	"context"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestSealedConfirmedThroughTLSProxy: with central.sealing on, staff
// answer a case and start one with a patient through a TLS-terminating
// reverse proxy; then the gateway, as one restored from a backup
// (Config.Restored), fetches its confirmed items back through the proxy.
// Every item comes back and is known to the store, and the proxy's
// capture of what the central store sent down holds neither the answer,
// nor the started case's patient name, personnummer, subject or text.
func TestSealedConfirmedThroughTLSProxy(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	cert := unitCert(t)
	proxy, capt := tlsProxy(t, c.addr, cert)
	g := newGateway(t, proxy.URL, cert, func(c *Config) { c.Sealing = true })
	sealGateway(t, g)
	g.start()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway logs:\n%s", g.logs.String())
		}
	})
	waitFor(t, 20*time.Second, "sealing on", func() bool { return g.up.Status().Sealing == SealingOn })
	since := time.Now().UTC()
	id := c.submit(0)
	waitFor(t, 20*time.Second, "the case at the gateway", func() bool { return g.ids()[id] })
	g.answer(id)
	const (
		initName    = "Kanarieåterställd Patientsson"
		initSubject = "Kanarierubrik återställd"
		initText    = "Kanarieåterställt: kom på återbesök"
	)
	initID, err := g.svc.NewCaseID()
	must(t, err)
	initPNR := string(personnummer.Synthetic(time.Date(1970, 8, 9, 0, 0, 0, 0, time.UTC), 986))
	if _, err := g.svc.Initiate(ctx, clinician, cases.InitiateRequest{ID: initID,
		Patient: cases.Person{PNR: personnummer.Personnummer(initPNR), Name: initName},
		Type:    casetype.ContactMe, Subject: initSubject, Text: initText, Signature: signature,
		AuthorTitle: authorTitle, ReplyAllowed: true}); err != nil {
		t.Fatal(err)
	}
	g.up.Kick()
	waitFor(t, 20*time.Second, "the outbox empty", func() bool { return g.pending() == 0 })
	g.stop()
	_, before := capt.bytes()

	g.cfg.Cases = g.svc // the case service itself puts back confirmed items
	g.cfg.Restored = &Restored{Since: since, Done: func(context.Context, RecoverReport) error { return nil }}
	g.restartUplink()
	g.start()
	waitFor(t, 20*time.Second, "the confirmed items fetched", func() bool { return !g.up.Status().RestorePending })
	g.stop()
	rep := g.up.Status().LastRecover
	if rep.Fetched < 3 || rep.Known != rep.Fetched || rep.Incomplete {
		t.Errorf("the recovery %+v: want every item (assignment, answer, started case) fetched and known", rep)
	}
	_, down := capt.bytes()
	down = down[len(before):]
	if !bytes.Contains(down, []byte(`"complete"`)) {
		t.Fatalf("the proxy captured no confirmed items (%d bytes down)", len(down))
	}
	for _, canary := range []string{answerText, initName, initSubject, initText, "Kanarie", initPNR, initPNR[2:]} {
		if n := bytes.Count(down, []byte(canary)); n > 0 {
			t.Errorf("central store → restored gateway: the proxy saw %q %d times", canary, n)
		}
	}
}
