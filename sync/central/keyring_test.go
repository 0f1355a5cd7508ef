package central

import (
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/kekfile"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestKEKRefused: the store does not open with a key-encryption key file
// others may read, with its KEK file gone while its key ring holds keys
// (a new KEK would be made and nothing would open), or with another
// store's KEK; with its own it opens and reads.
func TestKEKRefused(t *testing.T) {
	e := newEnv(t)
	e.submit(unitA, "Kanarietext")
	e.close()
	kek, ring := e.path+".kek", e.path+".keyring"
	if fi, err := os.Stat(kek); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the KEK file: %v %v", fi, err)
	}
	own, err := os.ReadFile(kek)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Rand: rand.NewChaCha8([32]byte{7}), Units: []string{unitA, unitB}, Clock: e.clock}
	try := func(name, want string) {
		t.Helper()
		s, err := Open(e.ctx, e.path, opts)
		if err == nil {
			s.Close()
			t.Errorf("%s: the store opened", name)
			return
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want it to say %q", name, err, want)
		}
	}
	if err := os.Chmod(kek, 0o640); err != nil {
		t.Fatal(err)
	}
	try("mode 0640", "read by others")
	if err := os.Remove(kek); err != nil {
		t.Fatal(err)
	}
	try("KEK gone", "restore it")
	if _, err := os.Stat(kek); err == nil {
		t.Error("a new KEK file was made beside a key ring")
	}
	other := t.TempDir() + "/other.kek"
	if _, err := kekfile.LoadOrCreate(other, rand.NewChaCha8([32]byte{8})); err != nil {
		t.Fatal(err)
	}
	opts.KEKFile = other
	try("another KEK", "does not open")
	opts.KEKFile = ""
	if err := os.WriteFile(kek, own, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ring); err != nil {
		t.Fatal(err)
	}
	e.open()
	if list, err := e.store.PatientCases(e.ctx, adultPNR); err != nil || len(list) != 1 || list[0].Text != "Kanarietext" {
		t.Errorf("with its own KEK: %+v, %v", list, err)
	}
}

// TestRingBatch: a batch of cases from new patients puts each one's key
// in the ring file (synced once, before the commit); reopened, every case
// reads. A batch refused as a whole stores no case; the keys it made
// stay unused in the ring and harm nothing.
func TestRingBatch(t *testing.T) {
	e := newEnv(t)
	var subs []Submission
	var pnrs []string
	for i := range 5 {
		p := string(personnummer.Synthetic(time.Date(1960+i, 3, 1, 0, 0, 0, 0, time.UTC), 980))
		pnrs = append(pnrs, p)
		subs = append(subs, Submission{PatientPNR: p, PatientName: "Patient " + strconv.Itoa(i), FormID: string(casetype.AdviceNurse),
			Fields: []wire.Field{{Name: "question", Value: "Fråga " + strconv.Itoa(i)}}})
	}
	if _, err := e.store.SubmitBatch(e.ctx, unitA, subs); err != nil {
		t.Fatal(err)
	}
	bad := append(slices.Clone(subs[:2]), Submission{PatientPNR: string(personnummer.Synthetic(time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), 980)),
		PatientName: "Ny", FormID: string(casetype.AdviceNurse)}) // no answers: refused
	bad[0].PatientPNR = string(personnummer.Synthetic(time.Date(1991, 1, 1, 0, 0, 0, 0, time.UTC), 980))
	if _, err := e.store.SubmitBatch(e.ctx, unitA, bad); err == nil {
		t.Fatal("a batch with a refused case was stored")
	}
	e.reopen()
	ring, err := os.ReadFile(e.path + ".keyring")
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pnrs {
		if !strings.Contains(string(ring), e.store.pnrKey(p)) {
			t.Errorf("the ring does not hold patient %d's key", i)
		}
		list, err := e.store.PatientCases(e.ctx, p)
		if err != nil || len(list) != 1 || list[0].Fields[0].Value != "Fråga "+strconv.Itoa(i) {
			t.Errorf("patient %d after reopening: %+v, %v", i, list, err)
		}
	}
	if list, _ := e.store.PatientCases(e.ctx, bad[0].PatientPNR); len(list) != 0 {
		t.Errorf("the refused batch stored %d cases", len(list))
	}
}
