package uplink

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/central"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// keyWatch sits in front of the central store's API as a TLS-terminating
// proxy would: it notes the key each sealed outbox item is sealed to, and
// which of them the store refused as sealed to a key it does not hold;
// counts plain outbox posts; keeps the last statement the store
// published; and, while replay is set, answers the statement's GET with
// it instead (a replay of an older statement).
type keyWatch struct {
	plain  atomic.Int32
	mu     sync.Mutex
	sealed map[seal.KeyID]int // items posted sealed to each key
	// refused: items the store refused as sealed to a key it does not hold.
	refused   map[seal.KeyID]int
	statement []byte
	replay    []byte
}

func newKeyWatch() *keyWatch {
	return &keyWatch{sealed: map[seal.KeyID]int{}, refused: map[seal.KeyID]int{}}
}

func (k *keyWatch) count(id seal.KeyID) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.sealed[id]
}

func (k *keyWatch) refusedTo(id seal.KeyID) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.refused[id]
}

func (k *keyWatch) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case wire.PathOutbox2, wire.PathOutbox:
			k.plain.Add(1)
		case wire.PathCentralSealingKey2:
			k.mu.Lock()
			replay := k.replay
			k.mu.Unlock()
			if replay != nil {
				w.Header().Set("Content-Type", wire.ContentTypeJSON)
				w.Write(replay)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			k.mu.Lock()
			k.statement = bytes.Clone(rec.Body.Bytes())
			k.mu.Unlock()
			relay(w, rec)
			return
		case wire.PathOutboxSealed2:
			body, err := io.ReadAll(r.Body)
			if err != nil {
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			sb, err := wire.DecodeSealedOutboxBatch2(bytes.NewReader(body))
			if err != nil {
				h.ServeHTTP(w, r)
				return
			}
			ids := make([]seal.KeyID, len(sb.Items))
			k.mu.Lock()
			for i, it := range sb.Items {
				env, _ := it.SealedBytes()
				if e, err := seal.Decode(env); err == nil {
					ids[i] = e.KeyID
					k.sealed[e.KeyID]++
				}
			}
			k.mu.Unlock()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if res, err := wire.DecodeOutboxResult(bytes.NewReader(rec.Body.Bytes())); err == nil && len(res.Results) == len(ids) {
				k.mu.Lock()
				for i, x := range res.Results {
					if x.Problem != nil && x.Problem.Type == wire.ProblemSealingKeyUnknown {
						k.refused[ids[i]]++
					}
				}
				k.mu.Unlock()
			}
			relay(w, rec)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// relay writes what rec recorded to w.
func relay(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for name, v := range rec.Header() {
		w.Header()[name] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// trySubmit writes a case for patient i%len(patients), as submit does,
// returning the error (for a goroutine, which must not end the test).
func (c *centralSrv) trySubmit(i int) (string, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.store.Submit(context.Background(), unit, central.Submission{
		PatientPNR: patients[i%len(patients)], PatientName: patientName, FormID: string(casetype.AdviceNurse),
		Fields: []wire.Field{{Name: "question", Value: "Kanariefråga"}}, Text: caseText,
	})
}

// patientLoad writes one case after another (patient i%len(patients))
// until stop is closed or then, given each case written, returns false;
// it closes done when it returns. Run it as a goroutine.
func (c *centralSrv) patientLoad(t *testing.T, stop <-chan struct{}, done chan<- struct{}, then func(i int, id string) bool) {
	defer close(done)
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		id, err := c.trySubmit(i)
		if err != nil {
			t.Errorf("submit %d: %v", i, err)
			return
		}
		if !then(i, id) {
			return
		}
	}
}

// TestCentralSealingKeyRotationUnderLoad (issue 22): with the real gateway
// and the real central store over mutual TLS, patients write cases and
// the unit answers them without pause while the central store's own
// sealing key is rotated twice:
//   - after the first rotation the gateway, still holding the old key
//     (its refresh period has not passed), seals to it and the store opens
//     it (the overlap); once the refresh period has passed (on the
//     uplink's clock) the gateway seals to the new key;
//   - the second time the then old key is retired at once, while the
//     gateway still seals to it: the store refuses those items as sealed
//     to a key it does not hold, and the gateway seals them anew to the
//     current key at once — not held back (the uplink's clock stands
//     still, so an item held back would never go);
//   - a replay of an older statement (a proxy, a central store's backup)
//     is refused: the gateway never goes back to an older key.
//
// Nothing lost: every answer reaches the patient's page at the central
// store; nothing unreadable: no item is left rejected or in the outbox;
// nothing plain: no plain outbox post.
func TestCentralSealingKeyRotationUnderLoad(t *testing.T) {
	ctx := context.Background()
	kw := newKeyWatch()
	c := startCentralWrapped(t, kw.wrap)
	fk := clocktest.New(time.Now())
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { cfg.Sealing, cfg.Clock = true, fk })
	sealGateway(t, g)
	g.start()
	waitFor(t, 20*time.Second, "sealing on", func() bool { return g.up.Status().Sealing == SealingOn })
	keyA := c.store.SealingKeyID()

	// The load: a patient writes a case, the unit answers it when it has
	// arrived, over and over, until stop.
	var mu sync.Mutex
	var written []string
	answered := map[string]int{} // case id → patient index
	stop, done := make(chan struct{}), make(chan struct{})
	go c.patientLoad(t, stop, done, func(i int, id string) bool {
		mu.Lock()
		written = append(written, id)
		mu.Unlock()
		for !g.ids()[id] {
			select {
			case <-stop:
				return false
			case <-time.After(5 * time.Millisecond):
			}
		}
		if _, err := g.svc.Do(ctx, distributor, cases.ID(id), cases.Command{Action: cases.Assign, Assignee: clinician.HSAID}); err != nil {
			t.Errorf("assign %s: %v", id, err)
			return false
		}
		if _, err := g.svc.Do(ctx, clinician, cases.ID(id), cases.Command{Action: cases.SendAnswer, Text: answerText, Signature: signature, AuthorTitle: authorTitle}); err != nil {
			t.Errorf("answer %s: %v", id, err)
			return false
		}
		mu.Lock()
		answered[id] = i
		mu.Unlock()
		g.up.Kick()
		return true
	})
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-done
	}()

	waitFor(t, 60*time.Second, "answers sealed to the first key", func() bool { return kw.count(keyA) >= 6 })
	kw.mu.Lock()
	statementA := bytes.Clone(kw.statement)
	kw.mu.Unlock()

	// The first rotation: the old key keeps opening.
	kB, err := c.store.RotateSealingKey()
	if err != nil {
		t.Fatal(err)
	}
	atRotation := kw.count(keyA)
	waitFor(t, 60*time.Second, "answers sealed to the old key after the rotation", func() bool { return kw.count(keyA) >= atRotation+6 })
	if n := kw.count(kB.ID); n != 0 {
		t.Fatalf("%d items sealed to the new key before the gateway's refresh period passed", n)
	}
	// The refresh period passes: the gateway fetches the statement again.
	fk.Advance(2 * time.Hour)
	waitFor(t, 60*time.Second, "answers sealed to the new key after the refresh period", func() bool { return kw.count(kB.ID) >= 6 })

	// The second rotation, the old key retired at once: the gateway still
	// seals to it, is refused, and seals anew.
	kC, err := c.store.RotateSealingKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.store.RetireSealingKey(kB.ID, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "an item sealed to the retired key refused", func() bool { return kw.refusedTo(kB.ID) > 0 })
	waitFor(t, 60*time.Second, "answers sealed to the current key", func() bool { return kw.count(kC.ID) >= 6 })

	// A replay of the first statement: refused, the gateway stays on the
	// current key.
	kw.mu.Lock()
	kw.replay = statementA
	kw.mu.Unlock()
	fk.Advance(2 * time.Hour)
	atReplayA, atReplayC := kw.count(keyA), kw.count(kC.ID)
	waitFor(t, 60*time.Second, "answers sealed to the current key during the replay", func() bool { return kw.count(kC.ID) >= atReplayC+6 })
	if n := kw.count(keyA) - atReplayA; n != 0 {
		t.Errorf("the gateway sealed %d items to the older key of a replayed statement", n)
	}

	close(stop)
	<-done

	// The gateway restarts while the replay goes on: it still refuses the
	// older key (the newest statement it verified is in its store), and
	// the answer waits until the store publishes its current key again.
	g.stop()
	g.restartUplink()
	g.start()
	last := c.submit(len(patients))
	waitFor(t, 60*time.Second, "the last case at the gateway", func() bool { return g.ids()[last] })
	g.answer(last)
	mu.Lock()
	answered[last] = len(patients)
	mu.Unlock()
	waitFor(t, 60*time.Second, "the replayed statement refused after the restart", func() bool {
		return strings.Contains(g.up.Status().LastError, "older sealing key")
	})
	if n := kw.count(keyA) - atReplayA; n != 0 {
		t.Fatalf("after a restart the gateway sealed %d items to the older key of a replayed statement", n)
	}
	kw.mu.Lock()
	kw.replay = nil
	kw.mu.Unlock()
	g.up.Kick()
	// The status's depth is what the last push round read: wait for a round
	// that read the outbox empty, not only for the store's outbox to empty.
	waitFor(t, 60*time.Second, "the outbox empty, in the store and in the status", func() bool {
		if g.pending() != 0 {
			return false
		}
		if st := g.up.Status(); st.OutboxDepth != 0 || st.Rejected != 0 {
			g.up.Kick()
			return false
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	if len(answered) < 10 {
		t.Fatalf("only %d cases answered", len(answered))
	}
	for id, i := range answered {
		pc := c.patientCase(i, id)
		found := false
		for _, m := range pc.Messages {
			found = found || strings.Contains(m.Text, answerText)
		}
		if !found {
			t.Errorf("the answer to case %s is not on the patient's page", id)
		}
	}
	if n := kw.plain.Load(); n != 0 {
		t.Errorf("%d plain outbox posts", n)
	}
	if st := g.up.Status(); st.Rejected != 0 || st.OutboxDepth != 0 {
		t.Errorf("status: %d rejected, %d in the outbox", st.Rejected, st.OutboxDepth)
	}
	if keys := c.store.SealingKeys(); len(keys) != 2 || keys[0].ID != keyA || keys[1].ID != kC.ID || !keys[1].Current {
		t.Errorf("the store's sealing keys after the retirement: %+v", keys)
	}
	t.Logf("items sealed to A %d, B %d (refused after its retirement %d), C %d; %d cases answered",
		kw.count(keyA), kw.count(kB.ID), kw.refusedTo(kB.ID), kw.count(kC.ID), len(answered))
}
