package seal

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
	"time"
)

// FuzzOpen: whatever the bytes, Decode and Open never panic, never open
// anything not sealed here, and refuse with one of the typed errors.
func FuzzOpen(f *testing.F) {
	k := seededKey(f, 1)
	env, err := Seal(k.Public(), ctxA, []byte("Hej"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(env)
	f.Add(env[:40])
	f.Add([]byte{1})
	f.Add([]byte{})
	o := NewOpener(unitA, []*PrivateKey{k}, []KeyID{seededKey(f, 2).ID()})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkOpened(t, o, b)
	})
}

// FuzzOpenEpoch: FuzzOpen's rules for version-2 envelopes (seeded with
// one), the cache of opened epochs in play.
func FuzzOpenEpoch(f *testing.F) {
	k := seededKey(f, 1)
	ep := NewEpochs(func() time.Time { return time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC) }, rand.Reader)
	env, err := ep.Seal(k.Public(), ctxA, []byte("Hej"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(env)
	f.Add(env[:40])
	f.Add(env[:len(env)-3])
	f.Add([]byte{2})
	o := NewOpener(unitA, []*PrivateKey{k}, []KeyID{seededKey(f, 2).ID()})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkOpened(t, o, b)
	})
}

// FuzzOpenEpochRef: FuzzOpen's rules for version-3 envelopes (seeded with
// one whose epoch the opener holds), ErrUnknownEpoch among the typed
// refusals.
func FuzzOpenEpochRef(f *testing.F) {
	k := seededKey(f, 1)
	ep := NewEpochs(func() time.Time { return time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC) }, rand.Reader)
	env, rec, err := ep.SealRef(k.Public(), ctxA, []byte("Hej"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(env)
	f.Add(env[:40])
	f.Add(env[:len(env)-3])
	f.Add([]byte{3})
	o := NewOpener(unitA, []*PrivateKey{k}, []KeyID{seededKey(f, 2).ID()})
	if err := o.AddEpoch(rec); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkOpened(t, o, b)
	})
}

// FuzzEpochRecord: whatever the bytes, ParseEpochRecord never panics and
// takes only a record whose id is the one asked for.
func FuzzEpochRecord(f *testing.F) {
	k := seededKey(f, 1)
	ep := NewEpochs(func() time.Time { return time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC) }, rand.Reader)
	_, rec, err := ep.SealRef(k.Public(), ctxA, []byte("Hej"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rec.Bytes())
	f.Add(rec.Bytes()[:KeyIDSize])
	f.Add([]byte{})
	id := rec.ID()
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseEpochRecord(unitA, id, b)
		if err != nil {
			if !errors.Is(err, ErrAltered) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped refusal: %v", err)
			}
			return
		}
		if r.ID() != id || !bytes.Equal(r.Bytes(), b) {
			t.Fatal("took a record that is not the epoch")
		}
	})
}

// checkOpened holds the fuzz targets' rules for b: what Decode takes has
// its fields' lengths for its version; Open opens only "Hej" and refuses
// with a typed error, never with plaintext.
func checkOpened(t *testing.T, o *Opener, b []byte) {
	if e, err := Decode(b); err == nil {
		enc, nonce := EncSize, NonceSize
		switch e.Version {
		case Version:
			nonce = 0
		case VersionEpochRef:
			enc = 0
		}
		if len(e.Enc) != enc || len(e.Nonce) != nonce || len(e.Ciphertext) < tagSize {
			t.Fatalf("Decode took version %d with enc %d, nonce %d, ciphertext %d bytes", e.Version, len(e.Enc), len(e.Nonce), len(e.Ciphertext))
		}
	}
	pt, err := o.Open(ctxA, b)
	if err == nil {
		if string(pt) != "Hej" {
			t.Fatalf("opened %q", pt)
		}
		return
	}
	if pt != nil {
		t.Fatal("a refusal returned plaintext")
	}
	for _, want := range []error{ErrTruncated, ErrMalformed, ErrAltered, ErrUnknownKey, ErrRetiredKey, ErrWrongUnit, ErrUnknownEpoch} {
		if errors.Is(err, want) {
			return
		}
	}
	t.Fatalf("untyped refusal: %v", err)
}
