package central

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"clinicgw/sync/wire"
)

// TestOutboundSealingMetrics: the central store's /metrics counts, per
// unit, the outbox items it took sealed and plain and those it refused (a
// sealed item that does not open, a plain batch after the unit's came
// sealed), says which units' items come sealed (the durable mark, so
// also after a restart), and names its own sealing key. Units by HSA-ID,
// counts and a key id: no case id, no patient data.
func TestOutboundSealingMetrics(t *testing.T) {
	e := newEnv(t)
	pub := e.centralKey()
	id := e.submit(unitA, "Kanarietext")
	e.outboxSealed(unitA, sealItem(t, pub, unitA, answer("k-1", id, "Kanariesvar")))
	bad := sealItem(t, pub, unitA, answer("k-2", id, "Kanariesvar två"))
	env, _ := bad.SealedBytes()
	env[len(env)-1] ^= 1
	bad.Sealed = base64.StdEncoding.EncodeToString(env)
	e.outboxSealed(unitA, bad)
	plain, _ := wire.Marshal(wire.OutboxBatch2{Items: []wire.OutboxItem{answer("k-3", id, "Kanariesvar tre")}})
	if st, _, body := e.do(e.api, unitA, http.MethodPost, wire.PathOutbox2, wire.ContentTypeJSON, plain); st != http.StatusConflict {
		t.Fatalf("plain after sealed: %d %s", st, body)
	}
	idB := e.submit(unitB, "Kanarietext B")
	e.outbox(unitB, answer("kb-1", idB, "Svar B"), answer("kb-2", idB, "Svar B två"))

	metrics := func() string {
		rec := httptest.NewRecorder()
		e.store.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("/metrics: %d", rec.Code)
		}
		return rec.Body.String()
	}
	key := e.store.SealingKeyID().String()
	want := []string{
		`clinicgw_central_outbox_items_total{unit="` + unitA + `",sealing="sealed"} 1`,
		`clinicgw_central_outbox_items_total{unit="` + unitA + `",sealing="plain"} 0`,
		`clinicgw_central_outbox_refused_total{unit="` + unitA + `"} 2`,
		`clinicgw_central_outbound_sealed{unit="` + unitA + `"} 1`,
		`clinicgw_central_outbox_items_total{unit="` + unitB + `",sealing="sealed"} 0`,
		`clinicgw_central_outbox_items_total{unit="` + unitB + `",sealing="plain"} 2`,
		`clinicgw_central_outbox_refused_total{unit="` + unitB + `"} 0`,
		`clinicgw_central_outbound_sealed{unit="` + unitB + `"} 0`,
		`clinicgw_central_sealing_key{keyId="` + key + `"} 1`,
	}
	got := metrics()
	for _, w := range want {
		if !strings.Contains(got, w+"\n") {
			t.Errorf("/metrics lacks %s", w)
		}
	}
	for _, canary := range []string{"Kanarie", id, adultPNR} {
		if strings.Contains(got, canary) {
			t.Errorf("/metrics holds %q", canary)
		}
	}
	// After a restart the counts start again; the mark stays.
	e.reopen()
	got = metrics()
	for _, w := range []string{
		`clinicgw_central_outbox_items_total{unit="` + unitA + `",sealing="sealed"} 0`,
		`clinicgw_central_outbound_sealed{unit="` + unitA + `"} 1`,
	} {
		if !strings.Contains(got, w+"\n") {
			t.Errorf("after a restart /metrics lacks %s", w)
		}
	}
	if !bytes.Contains([]byte(got), []byte("# TYPE clinicgw_central_outbox_items_total counter")) {
		t.Error("/metrics lacks the counter's TYPE line")
	}
}
