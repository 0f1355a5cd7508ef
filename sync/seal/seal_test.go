package seal

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"testing/cryptotest"
)

const (
	unitA = "SE2321000016-15ZM"
	unitB = "SE2321000016-C001"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// seededKey returns a key pair from a fixed seed byte.
func seededKey(t testing.TB, b byte) *PrivateKey {
	t.Helper()
	k, err := NewPrivateKey(bytes.Repeat([]byte{b}, SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var ctxA = Context{Unit: unitA, ID: "01jbq3z6m0a8vcs9fkd2x7gq4r", Kind: "case"}

func TestRoundTrip(t *testing.T) {
	k := seededKey(t, 1)
	o := NewOpener(unitA, []*PrivateKey{k}, nil)
	for _, pt := range [][]byte{[]byte("x"), []byte(swedishCase(2048)), make([]byte, 0), bytes.Repeat([]byte{0}, 100000)} {
		env, err := Seal(k.Public(), ctxA, pt)
		if err != nil {
			t.Fatal(err)
		}
		if want := fixedSize + len(unitA) + len(pt) + tagSize; len(env) != want {
			t.Errorf("envelope of %d bytes is %d long, want %d", len(pt), len(env), want)
		}
		got, err := o.Open(ctxA, env)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		if !bytes.Equal(got, pt) {
			t.Errorf("opened %d bytes, sealed %d", len(got), len(pt))
		}
		if len(pt) > 8 && bytes.Contains(env, pt[:8]) {
			t.Error("the plaintext is readable in the envelope")
		}
	}
}

// TestRefusals: every way an envelope must not open, each with its typed
// error.
func TestRefusals(t *testing.T) {
	kA, kA2, kB := seededKey(t, 1), seededKey(t, 2), seededKey(t, 3)
	pt := []byte(swedishCase(300))
	seal := func(pub *PublicKey, c Context) []byte {
		t.Helper()
		env, err := Seal(pub, c, pt)
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	good := seal(kA.Public(), ctxA)
	ctxB := ctxA
	ctxB.Unit = unitB
	tests := []struct {
		name   string
		opener *Opener
		ctx    Context
		env    []byte
		want   error
	}{
		{"another unit's envelope", NewOpener(unitA, []*PrivateKey{kA}, nil), ctxA, seal(kB.Public(), ctxB), ErrWrongUnit},
		{"another unit's key, this unit named", NewOpener(unitA, []*PrivateKey{kA}, nil), ctxA, seal(kB.Public(), ctxA), ErrUnknownKey},
		{"a retired key", NewOpener(unitA, []*PrivateKey{kA2}, []KeyID{kA.ID()}), ctxA, good, ErrRetiredKey},
		{"another case", NewOpener(unitA, []*PrivateKey{kA}, nil), Context{Unit: unitA, ID: "01jbq3z6m0a8vcs9fkd2x7gq4s", Kind: "case"}, good, ErrAltered},
		{"another kind", NewOpener(unitA, []*PrivateKey{kA}, nil), Context{Unit: unitA, ID: ctxA.ID, Kind: "message"}, good, ErrAltered},
		{"truncated by one", NewOpener(unitA, []*PrivateKey{kA}, nil), ctxA, good[:len(good)-1], ErrTruncated},
		{"truncated to the header", NewOpener(unitA, []*PrivateKey{kA}, nil), ctxA, good[:30], ErrTruncated},
		{"empty", NewOpener(unitA, []*PrivateKey{kA}, nil), ctxA, nil, ErrTruncated},
		{"a byte more", NewOpener(unitA, []*PrivateKey{kA}, nil), ctxA, append(bytes.Clone(good), 0), ErrMalformed},
		{"the unit's name rewritten", NewOpener(unitB, []*PrivateKey{kA}, nil), ctxB, rewriteUnit(good, unitA, unitB), ErrAltered},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.opener.Open(tc.ctx, tc.env)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open = %d bytes, %v; want %v", len(got), err, tc.want)
			}
			if got != nil {
				t.Error("a refusal returned plaintext")
			}
		})
	}
	var ke *KeyError
	if _, err := NewOpener(unitA, nil, nil).Open(ctxA, good); !errors.As(err, &ke) || ke.KeyID != kA.ID() || ke.Retired {
		t.Errorf("unknown key: %v", err)
	}
	var ue *UnitError
	if _, err := NewOpener(unitB, []*PrivateKey{kA}, nil).Open(ctxB, good); !errors.As(err, &ue) || ue.Got != unitA || ue.Want != unitB {
		t.Errorf("wrong unit: %v", err)
	}
}

// rewriteUnit swaps the unit's name in an envelope (same length).
func rewriteUnit(env []byte, from, to string) []byte {
	out := bytes.Clone(env)
	copy(out[8:], to)
	if !bytes.Equal(env[8:8+len(from)], []byte(from)) || len(from) != len(to) {
		panic("rewriteUnit: not the unit")
	}
	return out
}

// TestEveryBitFlipRefused flips one bit at each position of a short
// envelope: none opens, each is one of the typed refusals.
func TestEveryBitFlipRefused(t *testing.T) {
	k := seededKey(t, 1)
	o := NewOpener(unitA, []*PrivateKey{k}, nil)
	env, err := Seal(k.Public(), ctxA, []byte("Hej, jag behöver förnya mitt recept."))
	if err != nil {
		t.Fatal(err)
	}
	for i := range env {
		bad := bytes.Clone(env)
		bad[i] ^= 1 << (i % 8)
		pt, err := o.Open(ctxA, bad)
		if err == nil || pt != nil {
			t.Fatalf("bit %d of byte %d flipped: opened", i%8, i)
		}
		if !errors.Is(err, ErrAltered) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTruncated) &&
			!errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrWrongUnit) {
			t.Fatalf("byte %d: untyped refusal %v", i, err)
		}
	}
}

func TestSealRefusesBadContext(t *testing.T) {
	k := seededKey(t, 1)
	for _, c := range []Context{
		{Unit: "not-a-unit", ID: "x", Kind: "case"},
		{Unit: unitA, ID: "", Kind: "case"},
		{Unit: unitA, ID: "x", Kind: ""},
		{Unit: unitA, ID: strings.Repeat("x", MaxContextLen+1), Kind: "case"},
	} {
		if _, err := Seal(k.Public(), c, []byte("x")); err == nil {
			t.Errorf("Seal(%+v) sealed", c)
		}
	}
	if _, err := Seal(k.Public(), ctxA, make([]byte, MaxPlaintext+1)); err == nil {
		t.Error("Seal took more than MaxPlaintext")
	}
}

func TestKeys(t *testing.T) {
	k := seededKey(t, 7)
	again, err := NewPrivateKey(k.Seed())
	if err != nil {
		t.Fatal(err)
	}
	if again.ID() != k.ID() || !bytes.Equal(again.Public().Bytes(), k.Public().Bytes()) {
		t.Error("the same seed gave another key")
	}
	pub, err := ParsePublicKey(k.Public().Bytes())
	if err != nil || pub.ID() != k.ID() {
		t.Fatalf("ParsePublicKey: %v", err)
	}
	if _, err := ParsePublicKey(k.Public().Bytes()[1:]); err == nil {
		t.Error("a short public key parsed")
	}
	if _, err := NewPrivateKey(make([]byte, SeedSize-1)); err == nil {
		t.Error("a short seed made a key")
	}
	id, err := ParseKeyID(k.ID().String())
	if err != nil || id != k.ID() {
		t.Errorf("ParseKeyID(String()) = %v, %v", id, err)
	}
	for _, s := range []string{"", strings.ToUpper(k.ID().String()), k.ID().String()[1:], strings.Repeat("g", 32)} {
		if _, err := ParseKeyID(s); err == nil {
			t.Errorf("ParseKeyID(%q) parsed", s)
		}
	}
	g1, _ := GenerateKey(rand.Reader)
	g2, _ := GenerateKey(rand.Reader)
	if g1.ID() == g2.ID() {
		t.Error("two generated keys have one id")
	}
}

// TestGoldenEnvelope keeps the format: an envelope sealed with a fixed
// key and fixed randomness must be byte for byte the golden file, and the
// golden file must open.
func TestGoldenEnvelope(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 22)
	k := seededKey(t, 9)
	env, err := Seal(k.Public(), ctxA, []byte("Hej! Testa Testsson, 19121212-1212."))
	if err != nil {
		t.Fatal(err)
	}
	const path = "testdata/envelope-v1.hex"
	if *update {
		if err := os.WriteFile(path, []byte(hex.EncodeToString(env)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(env, golden) {
		t.Errorf("the envelope differs from %s (run with -update only for a new Version)", path)
	}
	pt, err := NewOpener(unitA, []*PrivateKey{k}, nil).Open(ctxA, golden)
	if err != nil || string(pt) != "Hej! Testa Testsson, 19121212-1212." {
		t.Errorf("the golden envelope opens to %q, %v", pt, err)
	}
	if golden[0] != Version || string(golden[8:8+len(unitA)]) != unitA {
		t.Error("the golden envelope's header is not version 1 for the unit")
	}
}

// TestDecodeRules: each rule of the format refuses an envelope that
// breaks it with ErrMalformed (or ErrTruncated where it ends early),
// before any cryptography.
func TestDecodeRules(t *testing.T) {
	k := seededKey(t, 1)
	good, err := Seal(k.Public(), ctxA, []byte("hej"))
	if err != nil {
		t.Fatal(err)
	}
	n := len(unitA)
	ctLen := 8 + n + KeyIDSize + EncSize // the ciphertext length's offset
	set := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name string
		env  []byte
		want error
	}{
		{"version 0", set(func(b []byte) []byte { b[0] = 0; return b }), ErrMalformed},
		{"version 2", set(func(b []byte) []byte { b[0] = 2; return b }), ErrMalformed},
		{"another KEM", set(func(b []byte) []byte { b[2] ^= 1; return b }), ErrMalformed},
		{"another KDF", set(func(b []byte) []byte { b[4] = 2; return b }), ErrMalformed},
		{"AES-128-GCM", set(func(b []byte) []byte { b[6] = 1; return b }), ErrMalformed},
		{"a unit of 0 bytes", set(func(b []byte) []byte { b[7] = 0; return b }), ErrMalformed},
		{"a unit of 32 bytes", set(func(b []byte) []byte { b[7] = 32; return b }), ErrMalformed},
		{"a unit that is no HSA-ID", set(func(b []byte) []byte { b[8] = 's'; return b }), ErrMalformed},
		{"a ciphertext shorter than its tag", set(func(b []byte) []byte { b[ctLen+3] = tagSize - 1; return b[:len(b)-(len(b)-ctLen-4-(tagSize-1))] }), ErrMalformed},
		{"a ciphertext longer than the limit", set(func(b []byte) []byte { b[ctLen] = 0xff; return b }), ErrMalformed},
		{"a ciphertext longer than what follows", set(func(b []byte) []byte { b[ctLen+3]++; return b }), ErrTruncated},
		{"longer than an envelope may be", make([]byte, MaxEnvelope+1), ErrMalformed},
		{"seven bytes", good[:7], ErrTruncated},
		{"the header without the encapsulated key", good[:8+n+KeyIDSize], ErrTruncated},
	}
	for _, tc := range tests {
		if _, err := Decode(tc.env); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if e, err := Decode(good); err != nil || e.Unit != unitA || e.KeyID != k.ID() || len(e.Enc) != EncSize || len(e.Ciphertext) != 3+tagSize {
		t.Errorf("Decode(good) = %+v, %v", e, err)
	}
}
