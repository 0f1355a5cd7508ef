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
		e, derr := Decode(b)
		if derr == nil && (len(e.Enc) != EncSize || len(e.Ciphertext) < tagSize) {
			t.Fatalf("Decode took a short field: enc %d, ciphertext %d", len(e.Enc), len(e.Ciphertext))
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
		e, derr := Decode(b)
		if derr == nil && e.Version == VersionEpoch && len(e.Nonce) != NonceSize {
			t.Fatalf("Decode took a nonce of %d bytes", len(e.Nonce))
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
		e, derr := Decode(b)
		if derr == nil && e.Version == VersionEpochRef && (len(e.Nonce) != NonceSize || e.Enc != nil) {
			t.Fatalf("Decode took a nonce of %d bytes, an encapsulation of %d", len(e.Nonce), len(e.Enc))
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
