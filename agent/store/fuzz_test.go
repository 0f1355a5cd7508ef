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
	good, err := s.seal(bucketCases, []byte(c.ID), plain)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(c.ID), good)
	f.Add([]byte(c.ID), good[:len(good)-1])
	f.Add([]byte("other"), good)
	f.Add([]byte(c.ID), []byte{1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, key, value []byte) {
		tx := &tx{s: s, unit: testUnit}
		got, err := tx.decodeCase(key, value)
		if err != nil {
			return
		}
		if string(got.ID) != string(key) {
			t.Fatalf("decoded a case for key %q that names %q", key, got.ID)
		}
	})
}
