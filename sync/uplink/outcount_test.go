package uplink

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// countingCentral wraps the central store's API: with tamper set, the
// first sealed outbox item of a batch has a bit flipped (the central
// store refuses it); with holdSwitch set, PUT /v2/sealing answers 503, so
// a gateway switched off keeps posting plain before the central store
// knows.
type countingCentral struct {
	tamper, holdSwitch atomic.Bool
}

func (cc *countingCentral) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case cc.holdSwitch.Load() && r.URL.Path == wire.PathSealing2 && r.Method == http.MethodPut:
			wire.WriteProblem(w, *wire.Unavailable())
			return
		case cc.tamper.Load() && r.URL.Path == wire.PathOutboxSealed2:
			b, _ := io.ReadAll(r.Body)
			if sb, err := wire.DecodeSealedOutboxBatch2(bytes.NewReader(b)); err == nil && len(sb.Items) > 0 {
				env, _ := sb.Items[0].SealedBytes()
				env[len(env)-1] ^= 1
				sb.Items[0].Sealed = base64.StdEncoding.EncodeToString(env)
				b, _ = wire.Marshal(sb)
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}
		h.ServeHTTP(w, r)
	})
}

// TestOutboundCounts: the uplink's status counts the outbox items it sent
// sealed and plain and those the central store refused — a sealed item
// that does not open there, plain items after the unit's came sealed —
// and names the central store's verified sealing key.
func TestOutboundCounts(t *testing.T) {
	cc := &countingCentral{}
	c := startCentralWrapped(t, cc.wrap)
	g := sealedGateway(t, c.url(), true)
	cc.tamper.Store(true)
	g.start()
	first, second := c.submit(0), c.submit(1)
	waitFor(t, 20*time.Second, "the cases at the gateway", func() bool { return g.ids()[first] && g.ids()[second] })
	g.answer(first)
	waitFor(t, 20*time.Second, "a sealed item refused", func() bool { return g.up.Status().OutboundRefusedItems > 0 })
	cc.tamper.Store(false)
	waitFor(t, 20*time.Second, "the answer sealed and taken", func() bool { return g.pending() == 0 })
	st := g.up.Status()
	if st.OutboundSealedItems < 3 || st.OutboundPlainItems != 0 || st.OutboundRefusedItems < 1 {
		t.Errorf("sealed: %d sealed, %d plain, %d refused; want the assignment, the refused answer and the answer again sealed, none plain, 1+ refused",
			st.OutboundSealedItems, st.OutboundPlainItems, st.OutboundRefusedItems)
	}
	if want := c.store.SealingKeyID().String(); st.CentralKeyID != want {
		t.Errorf("central key id %q, want %q", st.CentralKeyID, want)
	}

	// Switched off, the gateway posts plain; until the central store
	// knows, it refuses them (the unit's came sealed): counted.
	g.stop()
	cc.holdSwitch.Store(true)
	g.cfg.Sealing = false
	g.restartUplink()
	g.start()
	g.answer(second)
	waitFor(t, 20*time.Second, "plain items refused", func() bool { return g.up.Status().OutboundRefusedItems > 0 })
	cc.holdSwitch.Store(false)
	waitFor(t, 30*time.Second, "the answer taken plain", func() bool { return g.pending() == 0 })
	st = g.up.Status()
	if st.OutboundPlainItems < 2 || st.OutboundSealedItems != 0 || st.CentralKeyID != "" {
		t.Errorf("plain: %d sealed, %d plain, central key %q; want 2+ plain, none sealed, no key", st.OutboundSealedItems, st.OutboundPlainItems, st.CentralKeyID)
	}
}
