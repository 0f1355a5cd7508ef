package uplink

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"clinicgw/sync/seal"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
)

// TestSealingKeyRotationUnderLoad (issue 22): over mutual TLS with the
// reference central store and the unit's sealing on, patients write
// cases without pause while the unit's sealing key is rotated (`keys
// rotate --sealing`, then the gateway's next start publishes the new key
// and the central store seals to it): every case reaches the gateway and
// opens to what the patient wrote, none refused, none quarantined, and
// the central store sealed cases to both keys. Once the last case sealed
// to the old key is in the gateway's store, the old key is retired
// (service stopped) and the gateway goes on: nothing quarantined. Then
// the central store goes back to a backup from before the rotation under
// the running gateway (it publishes the old key again and seals to it): a
// case sealed to the retired key arrives; it is quarantined with the
// reason (field sealed.retired-key) and its case id, never applied, never
// lost from the quarantine; and the gateway publishes its current key
// again without waiting for its next start, so the next case is sealed to
// it and applies.
func TestSealingKeyRotationUnderLoad(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	g := sealedGateway(t, c.url(), true)
	g.start()
	waitFor(t, 10*time.Second, "sealing on", func() bool { return g.up.Status().Sealing == SealingOn })
	old, err := g.db.CurrentSealingKey()
	if err != nil {
		t.Fatal(err)
	}
	backup := t.TempDir() + "/central-before-rotation.db"
	c.mu.RLock()
	err = c.store.Backup(ctx, backup)
	c.mu.RUnlock()
	if err != nil {
		t.Fatal(err)
	}

	// The patients: one case after another until told to stop.
	var mu sync.Mutex
	var ids []string
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(ids) }
	stop, done := make(chan struct{}), make(chan struct{})
	go c.patientLoad(t, stop, done, func(_ int, id string) bool {
		mu.Lock()
		ids = append(ids, id)
		mu.Unlock()
		return true
	})
	waitFor(t, 20*time.Second, "cases before the rotation", func() bool { return count() >= 20 })
	nk, err := g.db.RotateSealingKey(ctx) // clinicgw keys rotate --sealing
	if err != nil {
		t.Fatal(err)
	}
	g.stop() // the gateway's next start publishes the new key
	g.restartUplink()
	g.start()
	waitFor(t, 20*time.Second, "the new key published", func() bool {
		st := g.up.Status()
		return st.SealingKeyID == nk.ID.String() && st.Sealing == SealingOn
	})
	atPublication := count()
	waitFor(t, 20*time.Second, "cases after the rotation", func() bool { return count() >= atPublication+20 })
	close(stop)
	<-done
	mu.Lock()
	all := append([]string(nil), ids...)
	mu.Unlock()

	waitFor(t, 60*time.Second, "every case at the gateway", func() bool {
		have := g.ids()
		for _, id := range all {
			if !have[id] {
				return false
			}
		}
		return true
	})
	for _, id := range all {
		if got := g.caseText(id); got != caseText {
			t.Errorf("case %s opened to %q", id, got)
		}
	}
	if qs, err := g.svc.Quarantine(ctx); err != nil || len(qs) != 0 || g.up.Status().SealedRefused != 0 {
		t.Fatalf("after the rotation: quarantine %d %v, refused %d", len(qs), err, g.up.Status().SealedRefused)
	}
	byKey := sealedKeyIDs(t, c)
	if byKey[old.ID.String()] == 0 || byKey[nk.ID.String()] == 0 || len(byKey) != 2 {
		t.Fatalf("cases sealed by key: %v, want both %s and %s", byKey, old.ID, nk.ID)
	}

	// Every case sealed to the old key is in the store: retire it (the
	// service stopped, as `keys retire --sealing` requires).
	g.stop()
	if err := g.db.RetireSealingKey(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	g.restartUplink()
	g.start()
	after := c.submit(0)
	waitFor(t, 20*time.Second, "a case after the retirement", func() bool { return g.ids()[after] })
	if qs, _ := g.svc.Quarantine(ctx); len(qs) != 0 {
		t.Fatalf("after the retirement %d events quarantined", len(qs))
	}

	// A case sealed to the retired key arrives: the central store went
	// back to its backup from before the rotation, under the running
	// gateway, and seals to the old key it published then.
	c.mu.Lock()
	c.closeLocked()
	copyFile(t, backup, c.path)
	c.open(c.addr)
	late := c.submitLocked(1)
	c.mu.Unlock()
	if k := sealedKeyOf(t, c, late); k != old.ID.String() {
		t.Fatalf("the late case is sealed to %s, want the retired %s", k, old.ID)
	}
	var field string
	waitFor(t, 30*time.Second, "the late case quarantined", func() bool {
		qs, err := g.svc.Quarantine(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			if string(q.Event.CaseID) == late {
				field = q.Field
				return true
			}
		}
		return false
	})
	if field != "sealed.retired-key" {
		t.Errorf("the late case was quarantined as %q, want sealed.retired-key", field)
	}
	if g.ids()[late] {
		t.Error("the late case was applied")
	}
	// The running gateway publishes its current key again, unasked (it
	// reconciled with a store that went back, and got a case sealed to a
	// retired key): the central store seals to it from then on.
	waitFor(t, 30*time.Second, "the current key published again", func() bool {
		c.mu.RLock()
		st, ok, err := c.store.SealingKey(ctx, unit)
		c.mu.RUnlock()
		return err == nil && ok && st.KeyID == nk.ID.String()
	})
	next := c.submit(2)
	waitFor(t, 20*time.Second, "a case after the republication", func() bool { return g.ids()[next] })
	if k := sealedKeyOf(t, c, next); k != nk.ID.String() {
		t.Errorf("the case after the republication is sealed to %s, want %s", k, nk.ID)
	}
	if qs, _ := g.svc.Quarantine(ctx); len(qs) != 1 {
		applied := 0
		for _, q := range qs {
			if g.ids()[string(q.Event.CaseID)] {
				applied++
			}
		}
		t.Errorf("%d events quarantined, want the late case only (%d of them cases applied here before, first as %q)", len(qs), applied, qs[0].Field)
	}
	checkNoPatientData(t, "the gateway's", g.logs.String())
}

// sealedKeyIDs counts the unit's sealed events in the central store by
// the key they are sealed to.
func sealedKeyIDs(t *testing.T, c *centralSrv) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, ev := range centralEvents(t, c) {
		if ev.Sealed != "" {
			out[keyIDOf(t, ev)]++
		}
	}
	return out
}

// sealedKeyOf is the key case id's case.created event is sealed to.
func sealedKeyOf(t *testing.T, c *centralSrv, id string) string {
	t.Helper()
	for _, ev := range centralEvents(t, c) {
		if ev.CaseID == id && ev.Kind == wire.EventCaseCreated {
			return keyIDOf(t, ev)
		}
	}
	t.Fatalf("no event of case %s in the central store", id)
	return ""
}

// centralEvents fetches the unit's whole inbox from c, as the uplink would.
func centralEvents(t *testing.T, c *centralSrv) []wire.Event {
	t.Helper()
	cl := &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true,
		TLSClientConfig: tlsconf.Client(unitCert(t), testPKI().RootPool(), "127.0.0.1", nil)}}
	defer cl.CloseIdleConnections()
	var out []wire.Event
	for after := uint64(0); ; {
		q := wire.InboxQuery{After: after, Limit: wire.MaxInboxLimit}
		resp, err := cl.Get(c.url() + wire.PathInbox + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		page, err := wire.DecodeInboxPage(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("inbox: %d %v", resp.StatusCode, err)
		}
		out = append(out, page.Events...)
		if !page.More {
			return out
		}
		after = page.Cursor
	}
}

// keyIDOf is the key a sealed event's envelope names.
func keyIDOf(t *testing.T, ev wire.Event) string {
	t.Helper()
	b, _ := ev.SealedBytes()
	env, err := seal.Decode(b)
	if err != nil {
		t.Fatalf("event %s: %v", ev.ID, err)
	}
	return env.KeyID.String()
}
