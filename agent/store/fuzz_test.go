package store

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"testing"
)

func fuzzSealer(t testing.TB) *sealer {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	aead, err := newAEAD(key)
	if err != nil {
		t.Fatal(err)
	}
	return &sealer{active: 1, aeads: map[uint32]cipher.AEAD{1: aead, 2: nil}, index: key, rand: rand.Reader}
}

// FuzzCaseRecord feeds arbitrary bytes to the record decoder: the sealed
// value layout, AES-GCM and the case JSON. It must never panic, and must
// accept nothing but what seal produced for that very key.
func FuzzCaseRecord(f *testing.F) {
	s := fuzzSealer(f)
	c := newCase(1, "hej")
	plain, _ := json.Marshal(c)
	good, err := s.seal(bucketCases, seqKey(1), plain)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(c.ID), seqKey(1), good)
	f.Add([]byte(c.ID), seqKey(1), good[:len(good)-1])
	f.Add([]byte(c.ID), seqKey(2), good)
	f.Add([]byte("other"), seqKey(1), good)
	f.Add([]byte(c.ID), seqKey(1), []byte{1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, id, key, value []byte) {
		tx := &tx{s: s, unit: testUnit}
		got, err := tx.decodeCase(id, key, value)
		if err != nil {
			return
		}
		if string(got.ID) != string(id) {
			t.Fatalf("decoded a case for id %q that names %q", id, got.ID)
		}
		if string(key) != string(seqKey(1)) {
			t.Fatalf("decoded the record sealed for key %x under key %x", seqKey(1), key)
		}
	})
}
