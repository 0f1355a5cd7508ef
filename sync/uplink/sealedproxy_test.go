package uplink

import (
	"bytes"
	"context"
	"crypto/tls"
	"net/http/httptest"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/central"
	"clinicgw/sync/proxytest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// tlsProxy is a reverse proxy (proxytest.Start) that terminates the
// gateway's TLS with a server certificate of its own (the test PKI's
// central CA issues it: the pinning allows it) and re-originates TLS to
// the central store with the unit's client certificate (the gateway's:
// the central store takes the unit's key statement only when signed with
// the certificate of the request), logging every byte it forwards in the
// clear between the two, websocket stream included.
func tlsProxy(t *testing.T, target string, client tls.Certificate) (*httptest.Server, *proxytest.Capture) {
	t.Helper()
	cert, err := testPKI().Server("127.0.0.1") // the proxy's own, not the central store's
	if err != nil {
		t.Fatal(err)
	}
	return proxytest.Start(t, target, cert, tlsconf.Client(client, testPKI().RootPool(), "127.0.0.1", nil))
}

// TestSealedThroughTLSProxy: with central.sealing on, the real gateway
// syncs with the reference central store through a TLS-terminating
// reverse proxy that logs every byte it forwards. Patients write cases
// and follow-ups (one a guardian for a child), staff answer, ask back and
// start a case with a patient (case.initiated, the patient's name and
// personnummer); everything arrives and applies, and the proxy's capture
// holds none of the canary names, personnummer or texts, either
// direction.
func TestSealedThroughTLSProxy(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	cert := unitCert(t)
	proxy, capt := tlsProxy(t, c.addr, cert)
	g := newGateway(t, proxy.URL, cert, func(c *Config) { c.Sealing = true })
	if _, _, err := g.db.EnsureSealingKey(ctx); err != nil {
		t.Fatal(err)
	}
	g.cfg.SealingKeys = g.db
	g.restartUplink()
	g.start()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway logs:\n%s", g.logs.String())
		}
	})
	waitFor(t, 20*time.Second, "sealing on", func() bool { return g.up.Status().Sealing == SealingOn })

	const (
		followText   = "Kanariefölje: nu har jag feber också"
		childName    = "Kanariebarn Lillasson"
		childText    = "Kanariebarntext: hostar om natten"
		counterText  = "Kanariemotfråga: hur hög är febern"
		initName     = "Kanarieinitierad Patientsson"
		initSubject  = "Kanarierubrik provsvar"
		initText     = "Kanarieinitierat: dina prover är klara"
		answerSecond = "Kanariesvar två: vila och drick"
	)
	child := personnummer.Synthetic(time.Date(2020, 4, 2, 0, 0, 0, 0, time.UTC), 991)
	var ids []string
	for i := range 3 {
		ids = append(ids, c.submit(i))
	}
	c.mu.RLock()
	childID, err := c.store.Submit(ctx, unit, central.Submission{
		PatientPNR: child.String(), PatientName: childName, GuardianPNR: patients[3], GuardianName: patientName,
		FormID: string(casetype.AdviceNurse), Fields: []wire.Field{{Name: "question", Value: "Kanariefråga"}}, Text: childText,
	})
	c.mu.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, childID)
	waitFor(t, 20*time.Second, "the cases at the gateway", func() bool {
		have := g.ids()
		for _, id := range ids {
			if !have[id] {
				return false
			}
		}
		return true
	})
	g.answer(ids[0])
	if _, err := g.svc.Do(ctx, distributor, cases.ID(ids[1]), cases.Command{Action: cases.Assign, Assignee: clinician.HSAID}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.svc.Do(ctx, clinician, cases.ID(ids[1]), cases.Command{Action: cases.SendCounter, Text: counterText, Signature: signature, AuthorTitle: authorTitle}); err != nil {
		t.Fatal(err)
	}
	g.up.Kick()
	waitFor(t, 20*time.Second, "the counter-question at the central store", func() bool {
		pc := c.patientCase(1, ids[1])
		return len(pc.Messages) >= 1 // a sealed case shows the unit's messages only
	})
	c.mu.RLock()
	err = c.store.FollowUp(ctx, patients[1], ids[1], followText)
	c.mu.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	g.answer(ids[3])
	initID, err := g.svc.NewCaseID()
	if err != nil {
		t.Fatal(err)
	}
	initPNR := patients[5]
	if _, err := g.svc.Initiate(ctx, clinician, cases.InitiateRequest{ID: initID,
		Patient: cases.Person{PNR: personnummer.Personnummer(initPNR), Name: initName},
		Type:    casetype.ContactMe, Subject: initSubject, Text: initText, Signature: signature,
		AuthorTitle: authorTitle, ReplyAllowed: true}); err != nil {
		t.Fatal(err)
	}
	g.up.Kick()
	waitFor(t, 20*time.Second, "the follow-up at the gateway and the outbox empty", func() bool {
		cs, err := g.svc.Get(ctx, distributor, cases.ID(ids[1]))
		return err == nil && len(cs.Messages) == 3 && g.pending() == 0
	})
	if pc := c.patientCase(0, ids[0]); len(pc.Messages) == 0 || pc.Messages[len(pc.Messages)-1].Text != answerText {
		t.Errorf("the patient sees %+v", pc.Messages)
	}
	if pc := c.patientCase(5, string(initID)); !pc.FromUnit || pc.Title != initSubject || len(pc.Messages) != 1 || pc.Messages[0].Text != initText {
		t.Errorf("the initiated case at the central store: %+v", pc)
	}
	if st := g.up.Status(); st.OutboundSealing != OutboundSealed {
		t.Errorf("outbound sealing %q, want %q", st.OutboundSealing, OutboundSealed)
	}
	g.stop()
	up, down := capt.Bytes()
	if len(up) < 1000 || len(down) < 1000 || !bytes.Contains(up, []byte(wire.PathOutboxSealed2)) || !bytes.Contains(down, []byte("Upgrade")) {
		t.Fatalf("the proxy captured %d bytes up, %d down: not the sync it should have forwarded", len(up), len(down))
	}
	canaries := []string{patientName, caseText, followText, childName, childText, counterText, initName, initSubject, initText,
		answerText, answerSecond, "Kanarie", child.String(), child.String()[2:]}
	for _, p := range patients {
		canaries = append(canaries, p, p[2:])
	}
	for _, canary := range canaries {
		if n := bytes.Count(up, []byte(canary)); n > 0 {
			t.Errorf("gateway → central store: the proxy saw %q %d times", canary, n)
		}
		if n := bytes.Count(down, []byte(canary)); n > 0 {
			t.Errorf("central store → gateway: the proxy saw %q %d times", canary, n)
		}
	}
}
