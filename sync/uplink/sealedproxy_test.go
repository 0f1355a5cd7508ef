package uplink

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/central"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// capture is what a TLS-terminating proxy saw: every plaintext byte it
// forwarded, both directions.
type capture struct {
	mu   sync.Mutex
	up   bytes.Buffer // gateway → central store
	down bytes.Buffer // central store → gateway
}

func (c *capture) bytes() (up, down []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.up.Bytes()), bytes.Clone(c.down.Bytes())
}

// capturedConn logs what passes through the proxy's connection to the
// central store: what it writes went up, what it reads came down.
type capturedConn struct {
	net.Conn
	c *capture
}

func (cc capturedConn) Write(p []byte) (int, error) {
	cc.c.mu.Lock()
	cc.c.up.Write(p)
	cc.c.mu.Unlock()
	return cc.Conn.Write(p)
}

func (cc capturedConn) Read(p []byte) (int, error) {
	n, err := cc.Conn.Read(p)
	cc.c.mu.Lock()
	cc.c.down.Write(p[:n])
	cc.c.mu.Unlock()
	return n, err
}

// tlsProxy is a reverse proxy (httputil.ReverseProxy) that terminates the
// gateway's TLS with a server certificate of its own (the test PKI's
// central CA issues it: the pinning allows it) and re-originates TLS to
// the central store with the unit's client certificate (the gateway's:
// the central store takes the unit's key statement only when signed with
// the certificate of the request), logging every
// byte it forwards in the clear between the two, websocket stream
// included (HTTP/1.1 to the central store, so the upgrade is proxied).
func tlsProxy(t *testing.T, target string, client tls.Certificate) (*httptest.Server, *capture) {
	t.Helper()
	capt := &capture{}
	cfg := tlsconf.Client(client, testPKI().RootPool(), "127.0.0.1", nil)
	cfg.NextProtos = []string{"http/1.1"}
	tr := &http.Transport{
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			raw, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			tc := tls.Client(raw, cfg.Clone())
			if err := tc.HandshakeContext(ctx); err != nil {
				raw.Close()
				return nil, err
			}
			return capturedConn{Conn: tc, c: capt}, nil
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	u := &url.URL{Scheme: "https", Host: target}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(u) },
		Transport: tr,
		ErrorLog:  log.New(io.Discard, "", 0),
	}
	srv := httptest.NewUnstartedServer(rp)
	cert, err := testPKI().Server("127.0.0.1") // the proxy's own, not the central store's
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, capt
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
	up, down := capt.bytes()
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
