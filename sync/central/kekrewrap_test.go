package central

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"clinicgw/sync/kekfile"
)

var errStopped = errors.New("stopped here, as by a kill")

// stopRewrapAt makes a rewrap stop after step, as a kill there would.
func stopRewrapAt(step string) {
	rewrapHook = func(s string) error {
		if s == step {
			return errStopped
		}
		return nil
	}
}

// TestRewrapKEKStoppedAtEveryStep: the file KEK rotated in place
// (RotateFileKEK) and the ring moved to another KEK (RewrapKEK, then the
// old file retired), stopped after each step as a kill would: the store
// opens every time — with the old KEK or the new one, which Open puts in
// place itself when only its last step is missing — every patient's case
// still opens, the rewrap run again completes, and at the end the old
// key opens nothing and is gone.
func TestRewrapKEKStoppedAtEveryStep(t *testing.T) {
	e := newEnv(t)
	ids := []string{e.submit(unitA, "Kanarietext ett"), e.submit(unitA, "Kanarietext två")}
	check := func(when string) {
		t.Helper()
		e.open()
		defer e.close()
		for i, id := range ids {
			pc, err := e.store.PatientCase(e.ctx, adultPNR, id)
			if err != nil || !strings.HasPrefix(pc.Text, "Kanarietext") {
				t.Fatalf("%s: case %d: %q %v", when, i, pc.Text, err)
			}
		}
	}
	e.close()
	kekPath := e.path + ".kek"
	t.Cleanup(func() { rewrapHook = nil })
	for _, step := range []string{"new key made", "wrapped", "ring replaced", "key file replaced"} {
		before, err := kekfile.Load(kekPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		stopRewrapAt(step)
		k, err := OpenKeys(e.ctx, e.path, Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.RotateFileKEK(kekPath, nil, nil); !errors.Is(err, errStopped) {
			t.Fatalf("stopped after %q: %v", step, err)
		}
		k.Close()
		rewrapHook = nil
		check("stopped after " + step)
		k, err = OpenKeys(e.ctx, e.path, Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		id, err := k.RotateFileKEK(kekPath, nil, func(done, total int) {})
		k.Close()
		if err != nil {
			t.Fatalf("run again after %q: %v", step, err)
		}
		check("run again after " + step)
		after, err := kekfile.Load(kekPath, nil)
		if err != nil || after.ID() != id || after.ID() == before.ID() {
			t.Fatalf("after %q the key file is %v (%v), want %s, not the old %s", step, after, err, id, before.ID())
		}
		if _, err := os.Stat(kekPath + ".new"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after %q a .new key file is left: %v", step, err)
		}
	}

	// Moved to another KEK (a file here, a token in cmd/clinicgw's test).
	other := filepath.Join(t.TempDir(), "other.kek")
	next, err := kekfile.LoadOrCreate(other, rand.NewChaCha8([32]byte{4}))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"wrapped", "ring replaced"} {
		stopRewrapAt(step)
		k, err := OpenKeys(e.ctx, e.path, Options{}, next)
		if err != nil {
			t.Fatalf("open the keys after a stop at %q: %v", step, err)
		}
		if err := k.RewrapKEK(next, nil); !errors.Is(err, errStopped) && !k.Resumed() {
			t.Fatalf("stopped after %q: %v", step, err)
		}
		k.Close()
		rewrapHook = nil
	}
	// The ring is under the new KEK now: the store opens with it, and
	// with the old one says which to use.
	_, err = Open(e.ctx, e.path, Options{Units: []string{unitA, unitB}})
	if err == nil || !strings.Contains(err.Error(), next.ID()) {
		t.Fatalf("opened with the old KEK after the ring moved: %v", err)
	}
	k, err := OpenKeys(e.ctx, e.path, Options{}, next)
	if err != nil || !k.Resumed() {
		t.Fatalf("run again: %v, resumed %v", err, k != nil && k.Resumed())
	}
	if err := k.RewrapKEK(next, nil); err != nil {
		t.Fatal(err)
	}
	if err := k.RetireKEKFile(kekPath); err != nil {
		t.Fatal(err)
	}
	k.Close()
	if _, err := os.Stat(kekPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the old KEK file is still there: %v", err)
	}
	st, err := Open(e.ctx, e.path, Options{Units: []string{unitA, unitB}, KEK: next})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if pc, err := st.PatientCase(e.ctx, adultPNR, id); err != nil || !strings.HasPrefix(pc.Text, "Kanarietext") {
			t.Errorf("under the new KEK: %q %v", pc.Text, err)
		}
	}
	st.Close()
}
