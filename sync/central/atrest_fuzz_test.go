package central

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"clinicgw/sync/kekfile"
)

// FuzzOpenValue: any bytes as a stored value either read as a value from
// before (not starting with the sealed form's version), open, or read as
// forgotten, alone or opened onto a buffer; never a panic. A sealed value with one bit flipped never
// opens.
func FuzzOpenValue(f *testing.F) {
	kek, err := kekfile.New("", bytes.Repeat([]byte{1}, 32), rand.NewChaCha8([32]byte{1}))
	if err != nil {
		f.Fatal(err)
	}
	s := &Store{rand: &lockedReader{r: rand.NewChaCha8([32]byte{2})},
		ring: &keyRing{path: filepath.Join(f.TempDir(), "ring"), kek: kek, rand: rand.NewChaCha8([32]byte{3}),
			wrapped: map[string][]byte{}, open: map[string][]byte{}}}
	good, err := s.sealValue("#owner", "cases/x", []byte(`{"text":"hej"}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, uint(0))
	f.Add([]byte(`{"id":"x"}`), uint(3))
	f.Add([]byte{atRestV1}, uint(0))
	f.Add([]byte{atRestV1, 200, '#'}, uint(1))
	f.Fuzz(func(t *testing.T, v []byte, bit uint) {
		pt, err := s.openValue("cases/x", v)
		if _, sealed := valueOwner(v); !sealed {
			if err != nil || !bytes.Equal(pt, v) {
				t.Fatalf("a value from before: %q, %v", pt, err)
			}
		} else if err != nil && !errors.Is(err, errForgotten) {
			t.Fatalf("a sealed value: %v", err)
		}
		// Opened onto a page's buffer (opener): the same plaintext after
		// what the buffer held, or the same refusal.
		o := s.opener()
		prefix := []byte(`{"events":[`)
		got, err2 := o.appendOpen(bytes.Clone(prefix), []byte("cases/x"), v)
		if (err2 == nil) != (err == nil) || (err == nil && !bytes.Equal(got, append(bytes.Clone(prefix), pt...))) {
			t.Fatalf("opened onto a buffer: %q, %v; alone: %q, %v", got, err2, pt, err)
		}
		flipped := bytes.Clone(good)
		i := int(bit % uint(len(flipped)*8))
		flipped[i/8] ^= 1 << (i % 8)
		if pt, err := s.openValue("cases/x", flipped); err == nil && i >= 8 {
			t.Fatalf("bit %d flipped, it still opens to %q", i, pt)
		}
	})
}

// FuzzKeyRing: any key ring file loads (a torn or foreign line is left
// out) or fails with an error; never a panic.
func FuzzKeyRing(f *testing.F) {
	f.Add([]byte("k #abc AAAA\nk #def QUJD\n"))
	f.Add([]byte("k #abc AAA"))
	f.Add([]byte("x y z\n\n\n"))
	kek, err := kekfile.New("", bytes.Repeat([]byte{1}, 32), rand.NewChaCha8([32]byte{1}))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "ring")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := loadKeyRing(p, kek, rand.NewChaCha8([32]byte{4}))
		if err != nil {
			return
		}
		for owner := range r.wrapped {
			if _, err := r.key(owner, false); err == nil {
				t.Fatalf("a fuzzed wrapped key of %q unwrapped", owner)
			}
		}
	})
}
