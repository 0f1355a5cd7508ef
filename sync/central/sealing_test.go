package central

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"os"
	"strings"
	"testing"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

func (e *env) putSealing(unit string, on bool) (int, wire.SealingState) {
	e.t.Helper()
	b, _ := wire.Marshal(wire.SealingSwitch{Sealed: on})
	status, _, body := e.do(e.api, unit, http.MethodPut, wire.PathSealing2, wire.ContentTypeJSON, b)
	if status != http.StatusOK {
		return status, wire.SealingState{}
	}
	st, err := wire.DecodeSealingState(bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	return status, st
}

// fileHas reports which canaries the store's file holds, the store closed.
func (e *env) fileHas(canaries ...string) []string {
	e.t.Helper()
	e.close()
	defer e.open()
	b, err := os.ReadFile(e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	var found []string
	for _, c := range canaries {
		if bytes.Contains(b, []byte(c)) {
			found = append(found, c)
		}
	}
	return found
}

// TestSealingAtSubmit: with the unit's key published and its sealing on,
// a case and a follow-up are sealed when the patient submits them: the
// inbox serves only sealed events, which open with the unit's key to what
// the patient wrote; the store's file holds none of the patient's name,
// personnummer, answers or texts; the patient's list still finds the case
// (by the keyed hash) and the unit's answer still reaches it. The control
// (sealing off) finds the canaries in the file, so the scan can fail.
func TestSealingAtSubmit(t *testing.T) {
	const caseCanary, followCanary, fieldCanary = "Kanarietext om halsont", "Kanariesvar om febern", "Ont i halsen"
	const answerCanary = "Kanariesvar från enheten"
	canaries := []string{adultName, adultPNR, adultPNR[2:], caseCanary, followCanary, fieldCanary, answerCanary}

	t.Run("off (control)", func(t *testing.T) {
		// Sealing off, the events go plain to the gateway but the file is
		// sealed at rest (atrest.go); the same file written as a release
		// before wrote it holds the canaries, so the scan can fail.
		e := newEnv(t)
		id := e.submit(unitA, caseCanary)
		if err := e.store.FollowUp(e.ctx, adultPNR, id, followCanary); err != nil {
			t.Fatal(err)
		}
		if got := e.fileHas(canaries...); len(got) != 0 {
			t.Errorf("sealing off, the file holds %q", got)
		}
		e.downgrade(adultPNR)
		e.close()
		if got := scanFile(t, e.path, canaries...); len(got) == 0 {
			t.Fatal("the file as written before holds no canary: the scan proves nothing")
		}
	})

	e := newEnv(t)
	k, err := seal.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := e.putSealing(unitA, true); status != http.StatusConflict {
		t.Fatalf("sealing on without a key: %d, want 409", status)
	}
	if status := e.putSealingKey(unitA, statementOf(t, e.certs[unitA], unitA, k.Public())); status != http.StatusNoContent {
		t.Fatalf("PUT sealing key: %d", status)
	}
	status, st := e.putSealing(unitA, true)
	if status != http.StatusOK || !st.Sealed || st.KeyID != k.ID().String() || st.FromSeq != 1 {
		t.Fatalf("sealing on: %d %+v", status, st)
	}
	if on, _ := e.store.Sealing(e.ctx, unitB); on {
		t.Fatal("unit B is sealed by A's switch")
	}
	id := e.submit(unitA, caseCanary)
	if err := e.store.FollowUp(e.ctx, adultPNR, id, followCanary); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Withdraw(e.ctx, adultPNR, id); err != nil {
		t.Fatal(err)
	}
	page := e.inbox(unitA, 0, 10)
	if len(page.Events) != 3 {
		t.Fatalf("%d events, want 3", len(page.Events))
	}
	o := seal.NewOpener(unitA, []*seal.PrivateKey{k}, nil)
	for _, ev := range page.Events {
		if ev.Kind == wire.EventCaseWithdrawn {
			if ev.Sealed != "" {
				t.Error("a withdrawal carries something sealed")
			}
			continue
		}
		if ev.Sealed == "" || ev.Case != nil || ev.Message != nil {
			t.Fatalf("event %s is served plain", ev.ID)
		}
		env, _ := ev.SealedBytes()
		pt, err := o.Open(seal.EventContext(unitA, ev), env)
		if err != nil {
			t.Fatalf("event %s does not open: %v", ev.ID, err)
		}
		got, err := wire.Unsealed(ev, pt)
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Kind {
		case wire.EventCaseCreated:
			if got.Case.Text != caseCanary || got.Case.Patient.Name != adultName || got.Case.Patient.PNR != adultPNR {
				t.Errorf("the case opened to %+v", got.Case)
			}
		case wire.EventCaseFollowUp:
			if got.Message.Text != followCanary {
				t.Errorf("the follow-up opened to %+v", got.Message)
			}
		}
	}
	cases, err := e.store.PatientCases(e.ctx, adultPNR)
	if err != nil || len(cases) != 1 || cases[0].ID != id || cases[0].Status != wire.StatusWithdrawn {
		t.Fatalf("the patient's list: %+v %v", cases, err)
	}
	if res := e.outbox(unitA, answer("a1", id, answerCanary)); res.Results[0].Status != wire.ItemAccepted {
		t.Fatalf("the unit's answer: %+v", res.Results[0])
	}
	// The patient reads back their own sealed texts (their copy at rest,
	// atrest.go) and is told the answer waits.
	pc, err := e.store.PatientCase(e.ctx, adultPNR, id)
	if err != nil || pc.StaffMessages() != 1 || pc.Text != caseCanary || len(pc.Answers) != 1 ||
		pc.Messages[0].Text != followCanary || pc.Messages[1].Text != answerCanary {
		t.Fatalf("the patient's case: %+v %v", pc, err)
	}
	if n := e.notifier.Notices(); len(n) != 1 || n[0].PNR != adultPNR {
		t.Errorf("notices %+v: want one to the patient of the sealed case", n)
	}
	if got := e.fileHas(canaries...); len(got) != 0 {
		t.Errorf("the store's file holds %q of a sealed case", got)
	}
	e.checkLogs(caseCanary, followCanary)
	if status, st := e.putSealing(unitA, false); status != http.StatusOK || st.Sealed {
		t.Fatalf("sealing off: %d %+v", status, st)
	}
	e.submit(unitA, "plain again")
	if evs := e.inbox(unitA, 3, 10).Events; len(evs) != 1 || evs[0].Case == nil || strings.Contains(evs[0].Sealed, "A") {
		t.Fatalf("after switching off: %+v", evs)
	}
}
