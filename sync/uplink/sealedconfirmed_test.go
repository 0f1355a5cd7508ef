package uplink

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
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
	_, before := capt.Bytes()

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
	_, down := capt.Bytes()
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

// TestSealedConfirmedRefused: a confirmed item whose envelope was altered
// on the way, or moved to another item, is not put back: the recovery
// says it is incomplete and counts it refused; the others are put back.
func TestSealedConfirmedRefused(t *testing.T) {
	var tampering atomic.Bool
	c := startCentralWrapped(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != wire.PathConfirmed2 || !tampering.Load() {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			var pg wire.ConfirmedPage
			if err := json.Unmarshal(rec.Body.Bytes(), &pg); err != nil || len(pg.Items) < 3 || pg.Items[0].Sealed == nil {
				t.Errorf("the central store's page: %v, %d items", err, len(pg.Items))
				return
			}
			b, _ := base64.StdEncoding.DecodeString(pg.Items[0].Sealed.Sealed)
			b[len(b)-5] ^= 1
			pg.Items[0].Sealed.Sealed = base64.StdEncoding.EncodeToString(b)
			pg.Items[1].Sealed.Sealed = pg.Items[2].Sealed.Sealed // moved
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(pg)
		})
	})
	g := newGateway(t, c.url(), unitCert(t), func(c *Config) { c.Sealing = true })
	sealGateway(t, g)
	g.start()
	waitFor(t, 20*time.Second, "sealing on", func() bool { return g.up.Status().Sealing == SealingOn })
	since := time.Now().UTC()
	ids := []string{c.submit(0), c.submit(1)}
	waitFor(t, 20*time.Second, "the cases at the gateway", func() bool { return g.ids()[ids[0]] && g.ids()[ids[1]] })
	g.answer(ids[0])
	g.answer(ids[1])
	waitFor(t, 20*time.Second, "the outbox empty", func() bool { return g.pending() == 0 })
	g.stop()
	tampering.Store(true)
	g.cfg.Cases = g.svc
	g.cfg.Restored = &Restored{Since: since, Done: func(context.Context, RecoverReport) error { return nil }}
	g.restartUplink()
	g.start()
	waitFor(t, 20*time.Second, "the confirmed items fetched", func() bool { return !g.up.Status().RestorePending })
	g.stop()
	st := g.up.Status()
	if rep := st.LastRecover; rep.Fetched != 2 || rep.Known != 2 || !rep.Incomplete || st.SealedRefused != 2 {
		t.Errorf("the recovery %+v, %d refused: want 2 of 4 fetched and known, incomplete, 2 refused", rep, st.SealedRefused)
	}
	checkNoPatientData(t, "gateway", g.logs.String())
}
