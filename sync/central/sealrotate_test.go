package central

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// TestSealingKeyRotation: a rotation makes a new key current and
// published at once, durably (a reopened store still has both keys, the
// new one current); the old key keeps opening until it is retired, which
// is refused for the current key and within the overlap; a retired key's
// line leaves the key ring, is not made anew at the next open, and an
// item sealed to it is refused with wire.ProblemSealingKeyUnknown, never
// applied, while one sealed to the current key applies.
func TestSealingKeyRotation(t *testing.T) {
	e := newEnv(t)
	pubA := e.centralKey()
	id := e.submit(unitA, "Kanarietext")
	nb, err := e.store.RotateSealingKey()
	if err != nil {
		t.Fatal(err)
	}
	pubB := e.centralKey()
	if pubB.ID() != nb.ID || pubB.ID() == pubA.ID() {
		t.Fatalf("published %s after the rotation to %s (old %s)", pubB.ID(), nb.ID, pubA.ID())
	}
	if r := e.outboxSealed(unitA, sealItem(t, pubA, unitA, answer("k-1", id, "Kanariesvar till gamla nyckeln"))); r.Results[0].Status != wire.ItemAccepted {
		t.Fatalf("an item sealed to the old key in the overlap: %+v", r.Results[0])
	}
	e.reopen()
	keys := e.store.SealingKeys()
	if len(keys) != 2 || keys[0].ID != pubA.ID() || keys[1].ID != pubB.ID() || !keys[1].Current || keys[0].Current || !keys[0].Until.Equal(keys[1].Since) {
		t.Fatalf("after a reopen: %+v", keys)
	}
	if err := e.store.RetireSealingKey(pubB.ID(), 0); !errors.Is(err, ErrSealingKeyInUse) {
		t.Errorf("retire the current key: %v", err)
	}
	if err := e.store.RetireSealingKey(pubA.ID(), DefaultSealingOverlap); !errors.Is(err, ErrSealingKeyInUse) {
		t.Errorf("retire within the overlap: %v", err)
	}
	e.clock.Advance(DefaultSealingOverlap + time.Minute)
	if err := e.store.RetireSealingKey(pubA.ID(), DefaultSealingOverlap); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	if keys := e.store.SealingKeys(); len(keys) != 1 || keys[0].ID != pubB.ID() {
		t.Fatalf("after the retirement and a reopen: %+v", keys)
	}
	ring, err := os.ReadFile(e.path + ".keyring")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(ring), "k "+ownerSealKey+" ") {
		t.Error("the retired key's line is still in the key ring")
	}
	r := e.outboxSealed(unitA,
		sealItem(t, pubA, unitA, answer("k-2", id, "Kanariesvar till pensionerad nyckel")),
		sealItem(t, pubB, unitA, answer("k-3", id, "Kanariesvar till nya nyckeln")))
	if r.Results[0].Status != wire.ItemRejected || r.Results[0].Problem == nil || r.Results[0].Problem.Type != wire.ProblemSealingKeyUnknown {
		t.Errorf("an item sealed to the retired key: %+v", r.Results[0])
	}
	if r.Results[1].Status != wire.ItemAccepted {
		t.Errorf("an item sealed to the current key: %+v", r.Results[1])
	}
	pc, err := e.store.PatientCase(e.ctx, adultPNR, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range pc.Messages {
		if strings.Contains(m.Text, "pensionerad") {
			t.Error("the item sealed to the retired key was applied")
		}
	}
	if err := e.store.RetireSealingKey(seal.KeyID{}, 0); err == nil {
		t.Error("a key the store never had was retired")
	}
}
