package agent_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"clinicgw/agent"
	"clinicgw/agent/store"
	"clinicgw/cardauth/token/softhsm"
	"clinicgw/sync/seal"
)

// TestSealingKeyOnToken: the gateway makes the unit's sealing key pair at
// its first start, its private half wrapped by the KEK on the PKCS#11
// token (SoftHSM2): after a restart the same key is current and opens
// what was sealed to it; the store with the token's key swapped for a
// key file does not open, so neither does the sealing key.
func TestSealingKeyOnToken(t *testing.T) {
	h := softhsm.New(t)
	cfg, _ := tokenGateway(t, h, fmt.Sprintf("gw-seal-%d", tokenSeq.Add(1)))
	ctxS := seal.Context{Unit: cfg.Unit.HSAID, ID: "01jbq3z6m0a8vcs9fkd2x7gq4r", Kind: "case"}
	var first seal.KeyID
	var env []byte
	for round := range 2 {
		a, err := agent.New(cfg, agent.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Start(t.Context()); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		keys, err := a.Store().SealingKeys()
		if err != nil || len(keys) != 1 || !keys[0].Current {
			t.Fatalf("round %d: sealing keys %+v, %v", round, keys, err)
		}
		if round == 0 {
			first = keys[0].ID
			pub, err := seal.ParsePublicKey(keys[0].Public)
			if err != nil {
				t.Fatal(err)
			}
			if env, err = seal.Seal(pub, ctxS, []byte("Hej, receptet tack.")); err != nil {
				t.Fatal(err)
			}
		} else if keys[0].ID != first {
			t.Errorf("after a restart the sealing key is %s, was %s", keys[0].ID, first)
		}
		o, err := a.Store().SealingOpener(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if pt, err := o.Open(ctxS, env); err != nil || string(pt) != "Hej, receptet tack." {
			t.Errorf("round %d: open %q, %v", round, pt, err)
		}
		if err := a.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	// The file holds no KEK: a key file in the token's place does not open it.
	dir := filepath.Dir(cfg.StorePath())
	if err := store.GenerateKeyFile(filepath.Join(dir, "other.key"), nil, false); err != nil {
		t.Fatal(err)
	}
	kek, err := store.LoadKeyFile(filepath.Join(dir, "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	if db, err := store.Open(t.Context(), cfg.StorePath(), kek, store.Options{Unit: cfg.Unit.HSAID}); !errors.Is(err, store.ErrWrongKey) {
		if db != nil {
			db.Close()
		}
		t.Errorf("the store opened with another key: %v", err)
	}
	_ = os.Remove(filepath.Join(dir, "other.key"))
}
