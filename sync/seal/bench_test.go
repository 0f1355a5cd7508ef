package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"strings"
	"testing"
	"time"
)

// swedishCase returns about n bytes of a patient's case text in Swedish,
// the shape of what the central store will seal (synthetic, no real
// person).
func swedishCase(n int) string {
	const para = "Hej! Jag har haft ont i halsen och feber sedan i måndags, och nu har jag också fått ont i öronen. " +
		"Jag har tagit Alvedon men det hjälper bara några timmar. Kan jag få en tid hos sjuksköterskan " +
		"eller läkaren den här veckan? Jag kan komma efter klockan 14 på vardagar. Tack på förhand, Testa Testsson. "
	s := strings.Repeat(para, n/len(para)+1)
	// cut at a rune boundary at or before n
	for n > 0 && n < len(s) && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}

// BenchmarkSealOpen2KiB seals and opens one 2 KiB case: the cost per case
// of sealing at the central store and opening at the gateway.
func BenchmarkSealOpen2KiB(b *testing.B) {
	k := seededKey(b, 1)
	o := NewOpener(unitA, []*PrivateKey{k}, nil)
	pt := []byte(swedishCase(2048))
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		env, err := Seal(k.Public(), ctxA, pt)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := o.Open(ctxA, env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSeal2KiB and BenchmarkOpen2KiB are the two halves apart.
func BenchmarkSeal2KiB(b *testing.B) {
	k := seededKey(b, 1)
	pt := []byte(swedishCase(2048))
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := Seal(k.Public(), ctxA, pt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen2KiB(b *testing.B) {
	k := seededKey(b, 1)
	o := NewOpener(unitA, []*PrivateKey{k}, nil)
	pt := []byte(swedishCase(2048))
	env, err := Seal(k.Public(), ctxA, pt)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := o.Open(ctxA, env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAESGCMReference2KiB seals and opens the same 2 KiB with
// AES-256-GCM under a data key, as the gateway's store does every value:
// the reference beside which BenchmarkSealOpen2KiB's cost (the KEM's) is
// read, as a ratio from the same run.
func BenchmarkAESGCMReference2KiB(b *testing.B) {
	block, err := aes.NewCipher(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		b.Fatal(err)
	}
	pt := []byte(swedishCase(2048))
	nonce := make([]byte, g.NonceSize())
	ad := []byte("cases/01jbq3z6m0a8vcs9fkd2x7gq4r")
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := rand.Read(nonce); err != nil {
			b.Fatal(err)
		}
		ct := g.Seal(nil, nonce, pt, ad)
		if _, err := g.Open(nil, nonce, ct, ad); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEpochSealOpen2KiB is BenchmarkSealOpen2KiB under one epoch
// (version 2): each case costs an exporter derivation and an AEAD each
// way, the epoch's encapsulation and decapsulation amortised.
func BenchmarkEpochSealOpen2KiB(b *testing.B) {
	k, o, ep, pt := epochBench(b)
	for b.Loop() {
		env, err := ep.Seal(k.Public(), ctxA, pt)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := o.Open(ctxA, env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEpochRefSealOpen2KiB is BenchmarkEpochSealOpen2KiB in version
// 3: the epoch named, its AEAD made once, so each case costs one
// AES-256-GCM each way and nothing else.
func BenchmarkEpochRefSealOpen2KiB(b *testing.B) {
	k, o, ep, pt := epochBench(b)
	for b.Loop() {
		env, rec, err := ep.SealRef(k.Public(), ctxA, pt)
		if err != nil {
			b.Fatal(err)
		}
		if !o.HasEpoch(rec.ID()) {
			if err := o.AddEpoch(rec); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := o.Open(ctxA, env); err != nil {
			b.Fatal(err)
		}
	}
}

// epochBench is the epoch benchmarks' key, opener, sealer (an epoch
// without end) and 2 KiB case text.
func epochBench(b *testing.B) (*PrivateKey, *Opener, *Epochs, []byte) {
	k := seededKey(b, 1)
	ep := NewEpochs(time.Now, rand.Reader)
	ep.MaxPayloads = 1 << 30
	pt := []byte(swedishCase(2048))
	b.SetBytes(int64(len(pt)))
	return k, NewOpener(unitA, []*PrivateKey{k}, nil), ep, pt
}
