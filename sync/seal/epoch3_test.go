package seal

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// sealRef seals pt under ep's current epoch as version 3, failing t on an
// error.
func sealRef(t testing.TB, ep *Epochs, pub *PublicKey, c Context, pt []byte) ([]byte, EpochRecord) {
	t.Helper()
	env, rec, err := ep.SealRef(pub, c, pt)
	if err != nil {
		t.Fatal(err)
	}
	return env, rec
}

// TestEpochRefRoundTrip: a version-3 envelope names its epoch and carries
// no encapsulated key (about 1.1 KB less than version 2); it opens once
// the opener is given the epoch's record, and the record is the one
// SealRef returned for every payload of the epoch.
func TestEpochRefRoundTrip(t *testing.T) {
	k := seededKey(t, 1)
	ep := newEpochs(&fakeClock{t: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)})
	o := NewOpener(unitA, []*PrivateKey{k}, nil)
	pt := []byte(swedishCase(2048))
	env, rec := sealRef(t, ep, k.Public(), ctxA, pt)
	v2, err := ep.Seal(k.Public(), ctxA, pt)
	if err != nil {
		t.Fatal(err)
	}
	if env[0] != VersionEpochRef || len(v2)-len(env) != EncSize-EpochIDSize {
		t.Fatalf("version %d, %d bytes against version 2's %d", env[0], len(env), len(v2))
	}
	if want := 8 + len(unitA) + KeyIDSize + EpochIDSize + NonceSize + 4 + len(pt) + tagSize; len(env) != want {
		t.Fatalf("%d bytes, want %d", len(env), want)
	}
	if mustDecode(t, env).Epoch != rec.ID() || rec.Unit != unitA || rec.KeyID != k.ID() || !bytes.Equal(rec.Enc, mustDecode(t, v2).Enc) {
		t.Fatal("the envelope does not name the epoch SealRef returned")
	}
	if _, err := o.Open(ctxA, env); !errors.Is(err, ErrUnknownEpoch) {
		t.Fatalf("before AddEpoch: %v, want ErrUnknownEpoch", err)
	}
	if err := o.AddEpoch(rec); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		e, r := sealRef(t, ep, k.Public(), ctxN(i), pt)
		if r.ID() != rec.ID() {
			t.Fatal("one epoch, two records")
		}
		if got, err := o.Open(ctxN(i), e); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("payload %d: %v", i, err)
		}
	}
	got, err := o.Open(ctxA, env)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatal(err)
	}
	// the stored form round-trips, bound to its id
	back, err := ParseEpochRecord(unitA, rec.ID(), rec.Bytes())
	if err != nil || back.ID() != rec.ID() {
		t.Fatalf("ParseEpochRecord: %v", err)
	}
	// version 2 still opens beside it
	if got, err := o.Open(ctxA, v2); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("version 2: %v", err)
	}
}

// TestEpochRefRefusals: every refusal of version 2 holds for version 3,
// and an epoch record swapped, altered or of another unit is refused
// before it can be used (the id binds unit, key and encapsulation).
func TestEpochRefRefusals(t *testing.T) {
	k, old, stranger := seededKey(t, 1), seededKey(t, 2), seededKey(t, 4)
	ep := newEpochs(&fakeClock{t: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)})
	o := NewOpener(unitA, []*PrivateKey{k}, []KeyID{old.ID()})
	pt := []byte("Anna Andersson 191212121212")
	good, rec := sealRef(t, ep, k.Public(), ctxA, pt)
	if err := o.AddEpoch(rec); err != nil {
		t.Fatal(err)
	}
	otherUnit := ctxA
	otherUnit.Unit = unitB
	bEnv, bRec := sealRef(t, ep, k.Public(), otherUnit, pt)
	oldEnv, oldRec := sealRef(t, ep, old.Public(), ctxA, pt)
	strEnv, strRec := sealRef(t, ep, stranger.Public(), ctxA, pt)
	ep2 := newEpochs(&fakeClock{t: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)})
	unknown, _ := sealRef(t, ep2, k.Public(), ctxA, pt)
	// an envelope moved to another epoch id of the same key
	moved := bytes.Clone(good)
	copy(moved[8+len(unitA)+KeyIDSize:], mustDecode(t, unknown).Epoch[:])
	for _, tc := range []struct {
		name string
		c    Context
		env  []byte
		want error
	}{
		{"another unit", ctxA, bEnv, ErrWrongUnit},
		{"retired key", ctxA, oldEnv, ErrRetiredKey},
		{"unknown key", ctxA, strEnv, ErrUnknownKey},
		{"unknown epoch", ctxA, unknown, ErrUnknownEpoch},
		{"moved to an epoch not given", ctxA, moved, ErrUnknownEpoch},
		{"truncated", ctxA, good[:len(good)-1], ErrTruncated},
		{"truncated in the epoch id", ctxA, good[:8+len(unitA)+KeyIDSize+5], ErrTruncated},
		{"moved to another case", ctxN(3), good, ErrAltered},
		{"moved to another kind", Context{Unit: unitA, ID: ctxA.ID, Kind: "message"}, good, ErrAltered},
	} {
		got, err := o.Open(tc.c, tc.env)
		if !errors.Is(err, tc.want) || got != nil {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		rec  EpochRecord
		want error
	}{
		{"another unit's epoch", bRec, ErrWrongUnit},
		{"a retired key's epoch", oldRec, ErrRetiredKey},
		{"a stranger's epoch", strRec, ErrUnknownKey},
	} {
		if err := o.AddEpoch(tc.rec); !errors.Is(err, tc.want) {
			t.Errorf("AddEpoch %s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// a record altered or swapped in transit: refused against its id
	altered := rec.Bytes()
	altered[KeyIDSize+100] ^= 1
	swapped := oldRec.Bytes()
	for _, tc := range []struct {
		name string
		unit string
		b    []byte
		want error
	}{
		{"altered", unitA, altered, ErrAltered},
		{"swapped for another epoch's", unitA, swapped, ErrAltered},
		{"another unit's", unitB, rec.Bytes(), ErrAltered},
		{"short", unitA, rec.Bytes()[:100], ErrMalformed},
		{"not a unit", "x", rec.Bytes(), ErrMalformed},
	} {
		if _, err := ParseEpochRecord(tc.unit, rec.ID(), tc.b); !errors.Is(err, tc.want) {
			t.Errorf("ParseEpochRecord %s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if got, err := o.Open(ctxA, good); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("the good envelope after the refusals: %v", err)
	}
}

// TestEpochRefEveryBitFlipRefused flips every bit of a version-3
// envelope: none opens.
func TestEpochRefEveryBitFlipRefused(t *testing.T) {
	k := seededKey(t, 1)
	ep := newEpochs(&fakeClock{t: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)})
	o := NewOpener(unitA, []*PrivateKey{k}, nil)
	env, rec := sealRef(t, ep, k.Public(), ctxA, []byte(swedishCase(64)))
	if err := o.AddEpoch(rec); err != nil {
		t.Fatal(err)
	}
	for bit := range len(env) * 8 {
		b := bytes.Clone(env)
		b[bit/8] ^= 1 << (bit % 8)
		if pt, err := o.Open(ctxA, b); err == nil || pt != nil {
			t.Fatalf("bit %d flipped: opened", bit)
		}
	}
}
