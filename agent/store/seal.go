package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync/atomic"
)

// Sealed value layout: format (1 byte) | term (4 bytes, big endian) |
// nonce (12 bytes) | AES-256-GCM ciphertext and tag.
const (
	sealFormat  = 1
	headerLen   = 1 + 4
	nonceLen    = 12
	sealedExtra = headerLen + nonceLen + 16
)

// ErrTampered means a sealed value did not open: it was altered, moved to
// another key, or sealed with a key this store does not have.
var ErrTampered = errors.New("a stored value does not open: it was altered, moved, or sealed with another key")

// ErrRetired means a value was sealed under a key-ring term that has been
// retired: its data key is destroyed and the value can never be opened.
var ErrRetired = errors.New("the value was sealed under a retired key term")

// sealer seals and opens values with the key ring's data keys.
type sealer struct {
	active uint32
	aeads  map[uint32]cipher.AEAD
	index  []byte // HMAC key for patient lookups
	rand   io.Reader
	// sealedInline counts the values seal sealed: on the caller's
	// goroutine, not a transaction's sealing goroutine (tests).
	sealedInline atomic.Uint64
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// aad binds a sealed value to the bucket and key it is stored under and to
// its own header.
func aad(dst []byte, bucket string, key []byte, header []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(bucket)))
	dst = append(dst, bucket...)
	dst = append(dst, key...)
	return append(dst, header...)
}

// seal encrypts plaintext for bucket/key under the active term.
func (s *sealer) seal(bucket string, key, plaintext []byte) ([]byte, error) {
	var nonce [nonceLen]byte
	if err := s.nonce(nonce[:]); err != nil {
		return nil, err
	}
	s.sealedInline.Add(1)
	return s.sealWithNonce(bucket, key, nonce[:], plaintext), nil
}

// nonce fills n with a fresh random nonce.
func (s *sealer) nonce(n []byte) error {
	if _, err := io.ReadFull(s.rand, n); err != nil {
		return fmt.Errorf("seal: nonce: %w", err)
	}
	return nil
}

// sealWithNonce encrypts plaintext for bucket/key under the active term
// with a nonce from nonce (never used before). It is safe for concurrent
// use.
func (s *sealer) sealWithNonce(bucket string, key, nonce, plaintext []byte) []byte {
	var buf [64]byte
	sealed, _ := s.sealWithNonceAD(nil, buf[:0], bucket, key, nonce, plaintext)
	return sealed
}

// sealWithNonceAD is sealWithNonce sealing into into when it has the
// capacity (else a new buffer), and building the additional data in ad
// (its length ignored), which it returns, grown if need be, to be used
// again: handed to the AEAD, an array on the stack would escape to the
// heap at every call, and the sealing goroutine (casewriter.go) seals a
// value per case.
func (s *sealer) sealWithNonceAD(into, ad []byte, bucket string, key, nonce, plaintext []byte) (sealed, adBuf []byte) {
	aead := s.aeads[s.active]
	var out []byte
	if cap(into) >= sealedExtra+len(plaintext) {
		out = into[:headerLen+nonceLen]
	} else {
		out = make([]byte, headerLen+nonceLen, sealedExtra+len(plaintext))
	}
	out[0] = sealFormat
	binary.BigEndian.PutUint32(out[1:headerLen], s.active)
	copy(out[headerLen:], nonce)
	ad = aad(ad[:0], bucket, key, out[:headerLen])
	return aead.Seal(out, out[headerLen:], plaintext, ad), ad
}

// open decrypts a value sealed for bucket/key. It never panics on any input.
func (s *sealer) open(bucket string, key, sealed []byte) ([]byte, error) {
	return s.openTo(nil, bucket, key, sealed)
}

// openTo is open appending the plaintext to dst.
func (s *sealer) openTo(dst []byte, bucket string, key, sealed []byte) ([]byte, error) {
	if len(sealed) < sealedExtra || sealed[0] != sealFormat {
		return nil, fmt.Errorf("%s: %w", bucket, ErrTampered)
	}
	term := binary.BigEndian.Uint32(sealed[1:headerLen])
	aead, ok := s.aeads[term]
	if !ok {
		return nil, fmt.Errorf("%s: term %d: %w", bucket, term, ErrTampered)
	}
	if aead == nil {
		return nil, fmt.Errorf("%s: term %d: %w", bucket, term, ErrRetired)
	}
	var buf [64]byte
	ad := aad(buf[:0], bucket, key, sealed[:headerLen])
	out, err := aead.Open(dst, sealed[headerLen:headerLen+nonceLen], sealed[headerLen+nonceLen:], ad)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", bucket, ErrTampered)
	}
	return out, nil
}

// termOf returns the term a sealed value was sealed under.
func termOf(sealed []byte) (uint32, bool) {
	if len(sealed) < headerLen || sealed[0] != sealFormat {
		return 0, false
	}
	return binary.BigEndian.Uint32(sealed[1:headerLen]), true
}

// blindLen is the length of a blinded personnummer in index keys. 128 bits
// make a collision between two patients of one unit practically impossible
// (about 2^-64 at 2^32 patients), and half the key keeps the random-order
// patient indexes small.
const blindLen = 16

// newBlinder returns the keyed hash blindWith uses.
func (s *sealer) newBlinder() hash.Hash { return hmac.New(sha256.New, s.index) }

// blindWith returns the keyed hash that stands for a personnummer in
// indexes, computed with m, a hash from newBlinder.
func (s *sealer) blindWith(m hash.Hash, pnr string) []byte {
	m.Reset()
	m.Write([]byte("clinicgw patient v1\x00"))
	io.WriteString(m, pnr)
	return m.Sum(make([]byte, 0, sha256.Size))[:blindLen]
}
