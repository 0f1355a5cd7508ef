package boltfile

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestCheckRandomDamage runs FuzzCheck's property on a bounded, seeded
// table of random damage (bytes overwritten, ranges cut out, zeros put
// in), so that every test run holds it, not only fuzzing.
func TestCheckRandomDamage(t *testing.T) {
	seed := sample(t, 1024, false)
	synced := sample(t, 1024, true)
	rng := rand.New(rand.NewPCG(15, 4))
	n := 600
	if testing.Short() {
		n = 100
	}
	for i := range n {
		b := bytes.Clone(seed)
		if i%3 == 2 {
			b = bytes.Clone(synced)
		}
		for range 1 + rng.IntN(4) {
			b[rng.IntN(len(b))] = byte(rng.Uint32())
		}
		switch rng.IntN(4) {
		case 0:
			at := rng.IntN(len(b))
			b = append(b[:at:at], b[at+rng.IntN(len(b)-at):]...)
		case 1:
			at := rng.IntN(len(b))
			b = append(b[:at:at], append(make([]byte, rng.IntN(100)), b[at:]...)...)
		}
		fuzzOne(t, b)
	}
}
