package seal

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newEpochs(clk *fakeClock) *Epochs { return NewEpochs(clk.now, rand.Reader) }

func ctxN(i int) Context {
	return Context{Unit: unitA, ID: "01jbq3z6m0a8vcs9fkd2x7gq" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)), Kind: "case"}
}

// TestEpochRoundTrip: payloads of one epoch share one encapsulation; the
// opener decapsulates once per epoch and each payload opens to itself.
func TestEpochRoundTrip(t *testing.T) {
	k := seededKey(t, 1)
	clk := &fakeClock{t: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)}
	ep := newEpochs(clk)
	o := NewOpener(unitA, []*PrivateKey{k}, nil)
	var encs [][]byte
	for i := range 5 {
		pt := []byte(swedishCase(2048 + i))
		env, err := ep.Seal(k.Public(), ctxN(i), pt)
		if err != nil {
			t.Fatal(err)
		}
		if env[0] != VersionEpoch {
			t.Fatalf("version %d", env[0])
		}
		got, err := o.Open(ctxN(i), env)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("payload %d: %v", i, err)
		}
		if bytes.Contains(env, pt[:16]) {
			t.Fatal("the plaintext is readable in the envelope")
		}
		e, _ := Decode(env)
		encs = append(encs, e.Enc)
	}
	for i := range encs {
		if !bytes.Equal(encs[i], encs[0]) {
			t.Fatal("one epoch, but the encapsulations differ")
		}
	}
	if len(o.epochs) != 1 {
		t.Fatalf("the opener holds %d epochs, want 1", len(o.epochs))
	}
	// A day later, a new epoch.
	clk.t = clk.t.Add(DefaultEpochAge)
	env, err := ep.Seal(k.Public(), ctxN(9), []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := Decode(env); bytes.Equal(e.Enc, encs[0]) {
		t.Fatal("the epoch outlived its age")
	}
	ep.MaxPayloads = 1
	a, _ := ep.Seal(k.Public(), ctxN(10), []byte("x"))
	b, _ := ep.Seal(k.Public(), ctxN(11), []byte("x"))
	if ea, _ := Decode(a); bytes.Equal(ea.Enc, mustDecode(t, b).Enc) {
		t.Fatal("the epoch outlived its payload count")
	}
	// A new key begins a new epoch.
	k2 := seededKey(t, 3)
	c, _ := ep.Seal(k2.Public(), ctxN(12), []byte("x"))
	if mustDecode(t, c).KeyID != k2.ID() {
		t.Fatal("sealed to the old key")
	}
}

func mustDecode(t *testing.T, b []byte) *Envelope {
	t.Helper()
	e, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestEpochRefusals: another unit's key, a retired key, a stranger's key,
// truncated, moved to another id or kind, an altered encapsulation (which
// must not poison the cache of opened epochs).
func TestEpochRefusals(t *testing.T) {
	k, old, stranger := seededKey(t, 1), seededKey(t, 2), seededKey(t, 4)
	ep := newEpochs(&fakeClock{t: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)})
	o := NewOpener(unitA, []*PrivateKey{k}, []KeyID{old.ID()})
	seal := func(pub *PublicKey, c Context) []byte {
		env, err := ep.Seal(pub, c, []byte("Anna Andersson 191212121212"))
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	good := seal(k.Public(), ctxA)
	badEnc := bytes.Clone(good)
	badEnc[8+len(unitA)+KeyIDSize+100] ^= 1
	otherUnit := ctxA
	otherUnit.Unit = unitB
	for _, tc := range []struct {
		name string
		c    Context
		env  []byte
		want error
	}{
		{"another unit", ctxA, seal(k.Public(), otherUnit), ErrWrongUnit},
		{"retired key", ctxA, seal(old.Public(), ctxA), ErrRetiredKey},
		{"unknown key", ctxA, seal(stranger.Public(), ctxA), ErrUnknownKey},
		{"truncated", ctxA, good[:len(good)-1], ErrTruncated},
		{"truncated in the nonce", ctxA, good[:8+len(unitA)+KeyIDSize+EncSize+5], ErrTruncated},
		{"moved to another case", ctxN(3), good, ErrAltered},
		{"moved to another kind", Context{Unit: unitA, ID: ctxA.ID, Kind: "message"}, good, ErrAltered},
		{"altered encapsulation", ctxA, badEnc, ErrAltered},
	} {
		pt, err := o.Open(tc.c, tc.env)
		if !errors.Is(err, tc.want) || pt != nil {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if got, err := o.Open(ctxA, good); err != nil || string(got) != "Anna Andersson 191212121212" {
		t.Fatalf("the good envelope after the altered ones: %v", err)
	}
}

// TestEpochEveryBitFlipRefused flips every bit outside the encapsulated
// key and every 13th inside it (each of those costs a decapsulation).
func TestEpochEveryBitFlipRefused(t *testing.T) {
	k := seededKey(t, 1)
	ep := newEpochs(&fakeClock{t: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)})
	o := NewOpener(unitA, []*PrivateKey{k}, nil)
	env, err := ep.Seal(k.Public(), ctxA, []byte(swedishCase(64)))
	if err != nil {
		t.Fatal(err)
	}
	encFrom, encTo := 8+len(unitA)+KeyIDSize, 8+len(unitA)+KeyIDSize+EncSize
	for bit := range len(env) * 8 {
		if i := bit / 8; i >= encFrom && i < encTo && bit%13 != 0 {
			continue
		}
		b := bytes.Clone(env)
		b[bit/8] ^= 1 << (bit % 8)
		if pt, err := o.Open(ctxA, b); err == nil || pt != nil {
			t.Fatalf("bit %d flipped: opened", bit)
		}
	}
}
