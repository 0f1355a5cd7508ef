package uplink

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// epochTap wraps the central store's API: it counts the GETs of sealing
// epochs and the PUTs of them, keeps the sealed members of the inbox
// pages served, and changes what alter says in an epoch's GET answer.
type epochTap struct {
	mu     sync.Mutex
	gets   int
	puts   int
	sealed []string
	// alter, when set, rewrites the body of a GET of an epoch.
	alter func([]byte) []byte
	// noEnvelope strips the envelope query of PUT /v2/sealing: a gateway
	// (or a central store) of the release before.
	noEnvelope bool
}

func (e *epochTap) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		alter, strip := e.alter, e.noEnvelope
		switch {
		case r.URL.Path == "/v2/sealing-epochs" && r.Method == http.MethodGet:
			e.gets++
		case r.URL.Path == "/v2/sealing-epochs":
			e.puts++
		case r.URL.Path == "/v2/sealing" && strip:
			r.URL.RawQuery = ""
		}
		e.mu.Unlock()
		if r.URL.Path != "/v2/inbox" && (r.URL.Path != "/v2/sealing-epochs" || r.Method != http.MethodGet || alter == nil) {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if r.URL.Path == "/v2/inbox" {
			var p struct{ Events []struct{ Sealed string } }
			if json.Unmarshal(body, &p) == nil {
				e.mu.Lock()
				for _, ev := range p.Events {
					if ev.Sealed != "" {
						e.sealed = append(e.sealed, ev.Sealed)
					}
				}
				e.mu.Unlock()
			}
		} else if rec.Code == http.StatusOK {
			body = alter(body)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

func (e *epochTap) counts() (gets, puts int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.gets, e.puts
}

// envelopes returns the envelopes of the sealed events served so far.
func (e *epochTap) envelopes(t *testing.T) [][]byte {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	var out [][]byte
	for _, s := range e.sealed {
		b, ok := (wire.Event{Sealed: s}).SealedBytes()
		if !ok {
			t.Fatalf("a sealed member that is not base64")
		}
		out = append(out, b)
	}
	return out
}

// sealedTapped starts a central store behind tap and a sealed gateway of
// it, waits for sealing to be on and submits n cases, waiting for them
// at the gateway.
func sealedTapped(t *testing.T, tap *epochTap, n int) (*centralSrv, *gateway, []string) {
	t.Helper()
	c := startCentralWrapped(t, tap.wrap)
	g := sealedGateway(t, c.url(), true)
	g.start()
	waitFor(t, 10*time.Second, "sealing on", func() bool { return g.up.Status().Sealing == SealingOn })
	ids := make([]string, n)
	for i := range ids {
		ids[i] = c.submit(i)
	}
	waitFor(t, 20*time.Second, "the sealed cases applied", func() bool {
		have := g.ids()
		for _, id := range ids {
			if !have[id] {
				return false
			}
		}
		return true
	})
	return c, g, ids
}

// TestSealedEventsCarryNoEncapsulation: a sealed event served to a
// gateway of this release carries its content's ciphertext and a few
// dozen bytes of header, not its epoch's 1120-byte encapsulated key (the
// bytes that made a sealed backlog about twice a plain one on the wire,
// in the decoder and in the gateway's journal); the gateway fetches the
// epoch once, for all of them.
func TestSealedEventsCarryNoEncapsulation(t *testing.T) {
	tap := &epochTap{}
	_, g, _ := sealedTapped(t, tap, 4)
	envs := tap.envelopes(t)
	if len(envs) != 4 {
		t.Fatalf("%d sealed events served, want 4", len(envs))
	}
	for i, env := range envs {
		e, err := seal.Decode(env)
		if err != nil {
			t.Fatal(err)
		}
		if over := len(env) - len(e.Ciphertext); over > 100 {
			t.Errorf("sealed event %d: %d bytes besides its ciphertext, want at most 100 (version %d)", i, over, e.Version)
		}
	}
	if gets, _ := tap.counts(); gets != 1 {
		t.Errorf("the epoch fetched %d times, want once", gets)
	}
	if st := g.up.Status(); st.SealedRefused != 0 || st.Quarantined != 0 {
		t.Errorf("refused %d, quarantined %d", st.SealedRefused, st.Quarantined)
	}
}

// TestSealedEpochKept: the epoch's record is kept in the gateway's store:
// a restarted uplink (its memory gone) opens later events of the epoch
// without fetching it again; a gateway whose store lost the record
// fetches it again, once.
func TestSealedEpochKept(t *testing.T) {
	tap := &epochTap{}
	c, g, _ := sealedTapped(t, tap, 2)
	envs := tap.envelopes(t)
	_, id, ok := seal.EpochOf(envs[0])
	if !ok {
		t.Fatal("the sealed event names no epoch")
	}
	if _, held, err := g.db.SealingEpoch(context.Background(), id.String()); err != nil || !held {
		t.Fatalf("the gateway's store does not hold the epoch: %v", err)
	}
	next := func(i int, wantGets int) {
		t.Helper()
		g.stop()
		g.restartUplink()
		g.start()
		id := c.submit(i)
		waitFor(t, 20*time.Second, "case "+id, func() bool { return g.ids()[id] })
		if gets, _ := tap.counts(); gets != wantGets {
			t.Errorf("after case %d: the epoch fetched %d times, want %d", i, gets, wantGets)
		}
	}
	next(2, 1)
	if err := g.db.DeleteSetting(context.Background(), "unit/seal-epoch/"+id.String()); err != nil {
		t.Fatal(err)
	}
	next(3, 2)
	if st := g.up.Status(); st.SealedRefused != 0 || st.Quarantined != 0 {
		t.Errorf("refused %d, quarantined %d", st.SealedRefused, st.Quarantined)
	}
}

// TestSealedEpochAlteredRefused: an epoch's record altered, swapped for
// another epoch's, of another unit's form or not a record at all on the
// way from the central store (a proxy) is refused against the id the
// events name: the events are quarantined as altered, never applied, and
// the record is not kept.
func TestSealedEpochAlteredRefused(t *testing.T) {
	other := func() wire.SealingEpoch { // another real epoch of another key
		k, err := seal.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
		if err != nil {
			t.Fatal(err)
		}
		_, rec, err := seal.NewEpochs(time.Now, strings.NewReader(strings.Repeat("n", 64))).SealRef(k.Public(), seal.Context{Unit: unit, ID: "x", Kind: "case"}, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		return wire.SealingEpoch{ID: rec.ID().String(), KeyID: rec.KeyID.String(), Enc: base64.StdEncoding.EncodeToString(rec.Enc)}
	}()
	rewrite := func(change func(*wire.SealingEpoch)) func([]byte) []byte {
		return func(b []byte) []byte {
			var e wire.SealingEpoch
			if err := json.Unmarshal(b, &e); err != nil {
				t.Errorf("the epoch answer: %v", err)
				return b
			}
			change(&e)
			out, _ := json.Marshal(e)
			return out
		}
	}
	for _, tc := range []struct {
		name  string
		alter func([]byte) []byte
	}{
		{"a bit of the encapsulation flipped", rewrite(func(e *wire.SealingEpoch) {
			enc := e.EncBytes()
			enc[500] ^= 1
			e.Enc = base64.StdEncoding.EncodeToString(enc)
		})},
		{"another key id", rewrite(func(e *wire.SealingEpoch) { e.KeyID = other.KeyID })},
		{"swapped for another epoch", rewrite(func(e *wire.SealingEpoch) { e.KeyID, e.Enc = other.KeyID, other.Enc })},
		{"another epoch whole, its own id", rewrite(func(e *wire.SealingEpoch) { *e = other })},
		{"not a record", func([]byte) []byte { return []byte(`{"id":"zz"}`) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tap := &epochTap{alter: tc.alter}
			c := startCentralWrapped(t, tap.wrap)
			g := sealedGateway(t, c.url(), true)
			g.start()
			waitFor(t, 10*time.Second, "sealing on", func() bool { return g.up.Status().Sealing == SealingOn })
			ids := []string{c.submit(0), c.submit(1)}
			waitFor(t, 20*time.Second, "both quarantined", func() bool { return g.up.Status().Quarantined == 2 })
			if have := g.ids(); have[ids[0]] || have[ids[1]] {
				t.Fatal("an event whose epoch was altered was applied")
			}
			q, err := g.svc.Quarantine(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range q {
				if e.Event.SealRefusal != "altered" || e.Event.Submission != nil {
					t.Errorf("quarantined as %q (content %v), want altered and no content", e.Event.SealRefusal, e.Event.Submission != nil)
				}
			}
			_, id, _ := seal.EpochOf(tap.envelopes(t)[0])
			if _, held, _ := g.db.SealingEpoch(context.Background(), id.String()); held {
				t.Error("the gateway kept an altered epoch")
			}
			if st := g.up.Status(); st.SealedRefused != 2 {
				t.Errorf("refused %d, want 2", st.SealedRefused)
			}
		})
	}
}

// TestSealedEpochPreviousRelease: a gateway that does not ask for epoch
// references (the release before: the envelope query absent) gets
// version-2 envelopes, which carry their encapsulation and which the
// release before opens; the same holds for a central store of the
// release before (which ignores the query). Once the query arrives, new
// events name their epoch, and the version-2 events before them still
// open: nothing refused on the way.
func TestSealedEpochPreviousRelease(t *testing.T) {
	tap := &epochTap{noEnvelope: true}
	c := startCentralWrapped(t, tap.wrap)
	g := sealedGateway(t, c.url(), true)
	g.start()
	waitFor(t, 10*time.Second, "sealing on", func() bool { return g.up.Status().Sealing == SealingOn })
	first := c.submit(0)
	waitFor(t, 20*time.Second, "the version-2 case", func() bool { return g.ids()[first] })
	envs := tap.envelopes(t)
	if len(envs) != 1 || envs[0][0] != seal.VersionEpoch {
		t.Fatalf("without the query: %d events, version %d, want one of version 2", len(envs), envs[0][0])
	}
	if gets, _ := tap.counts(); gets != 0 {
		t.Errorf("an epoch fetched %d times for version-2 events", gets)
	}
	// both ends move: the query passes
	g.stop()
	tap.mu.Lock()
	tap.noEnvelope = false
	tap.mu.Unlock()
	g.restartUplink()
	g.start()
	waitFor(t, 10*time.Second, "sealing on", func() bool { return g.up.Status().Sealing == SealingOn })
	second := c.submit(1)
	waitFor(t, 20*time.Second, "the version-3 case", func() bool { return g.ids()[second] })
	envs = tap.envelopes(t)
	if last := envs[len(envs)-1]; last[0] != seal.VersionEpochRef {
		t.Errorf("with the query: version %d, want 3", last[0])
	}
	for _, id := range []string{first, second} {
		if got := g.caseText(id); got != caseText {
			t.Errorf("case %s opened to %q", id, got)
		}
	}
	if st := g.up.Status(); st.SealedRefused != 0 || st.Quarantined != 0 {
		t.Errorf("refused %d, quarantined %d", st.SealedRefused, st.Quarantined)
	}
}

// TestSealedEpochGivenBack: a central store restored from a backup made
// before the unit's first sealed event has lost the events and their
// epoch; the gateway puts the epoch back before it gives the events back
// as sent, the store takes every one, and a gateway restored from a
// backup of before the events (the same key, no events) pulls them from
// the restored store and opens every one.
func TestSealedEpochGivenBack(t *testing.T) {
	tap := &epochTap{}
	c := startCentralWrapped(t, tap.wrap)
	tmpl := newSealedTemplate(t)
	g := tmpl.gateway(t, c.url())
	g.start()
	waitFor(t, 10*time.Second, "sealing on", func() bool { return g.up.Status().Sealing == SealingOn })
	backup := t.TempDir() + "/backup.db"
	c.backupTo(backup)
	ids := []string{c.submit(0), c.submit(1), c.submit(2)}
	waitFor(t, 20*time.Second, "the sealed cases", func() bool { return g.rec.progress() >= len(ids) })
	c.restoreFrom(backup, nil)
	waitFor(t, 20*time.Second, "the reconciliation", func() bool { return g.up.Status().Reconciliations == 1 })
	rep := g.up.Status().LastReconcile
	if rep.GivenBack != len(ids) || rep.Restored != len(ids) || rep.Refused != 0 {
		t.Fatalf("given back %d, restored %d, refused %d; want %d, %d, 0", rep.GivenBack, rep.Restored, rep.Refused, len(ids), len(ids))
	}
	if _, puts := tap.counts(); puts != 1 {
		t.Errorf("the epoch put back %d times, want once", puts)
	}
	g.stop()
	g2 := tmpl.gateway(t, c.url())
	g2.start()
	waitFor(t, 20*time.Second, "the given-back cases at the restored gateway", func() bool { return g2.rec.progress() >= len(ids) })
	for _, id := range ids {
		cs, err := g2.svc.Get(context.Background(), distributor, cases.ID(id))
		if err != nil || cs.Patient.Name != patientName {
			t.Errorf("case %s at the restored gateway: %v", id, err)
		}
	}
	if st := g2.up.Status(); st.SealedRefused != 0 || st.Quarantined != 0 {
		t.Errorf("the restored gateway refused %d, quarantined %d", st.SealedRefused, st.Quarantined)
	}
}
