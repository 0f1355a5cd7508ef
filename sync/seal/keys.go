package seal

import (
	"crypto/hpke"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// The suite's components and their sizes.
const (
	// SuiteName names the one suite in the signed key statement.
	SuiteName = "HPKE-v1/MLKEM768-X25519/HKDF-SHA256/AES-256-GCM"
	// SeedSize is the length of a private key (an X-Wing seed).
	SeedSize = 32
	// PublicKeySize is the length of a public key.
	PublicKeySize = 1216
	// EncSize is the length of the encapsulated key in an envelope.
	EncSize = 1120
	// KeyIDSize is the length of a key id in bytes (hex: twice that).
	KeyIDSize = 16
)

var (
	kem  = hpke.MLKEM768X25519()
	kdf  = hpke.HKDFSHA256()
	aead = hpke.AES256GCM()
)

// KeyID names a sealing key: the first 16 bytes of SHA-256 over a label
// and the public key.
type KeyID [KeyIDSize]byte

// String returns the id in lower-case hex, as the key ring, the logs and
// the key statement write it.
func (id KeyID) String() string { return hex.EncodeToString(id[:]) }

// ParseKeyID reads a key id written by KeyID.String.
func ParseKeyID(s string) (KeyID, error) {
	var id KeyID
	if len(s) != 2*KeyIDSize {
		return id, fmt.Errorf("a sealing key id is %d hex digits, not %d characters", 2*KeyIDSize, len(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return id, errors.New("a sealing key id is lower-case hex digits")
		}
	}
	_, err := hex.Decode(id[:], []byte(s))
	return id, err
}

// KeyIDOf returns the id of a public key's bytes.
func KeyIDOf(public []byte) KeyID {
	h := sha256.New()
	h.Write([]byte("clinicgw sealing key id v1\x00"))
	h.Write(public)
	var id KeyID
	copy(id[:], h.Sum(nil))
	return id
}

// PublicKey is a unit's sealing key as senders use it.
type PublicKey struct {
	id  KeyID
	raw []byte
	k   hpke.PublicKey
}

// ParsePublicKey reads a public key's bytes (PublicKeySize of them).
func ParsePublicKey(raw []byte) (*PublicKey, error) {
	if len(raw) != PublicKeySize {
		return nil, fmt.Errorf("a sealing public key is %d bytes, not %d", PublicKeySize, len(raw))
	}
	k, err := kem.NewPublicKey(raw)
	if err != nil {
		return nil, fmt.Errorf("sealing public key: %w", err)
	}
	return &PublicKey{id: KeyIDOf(raw), raw: append([]byte(nil), raw...), k: k}, nil
}

// ID returns the key's id.
func (p *PublicKey) ID() KeyID { return p.id }

// Bytes returns the key's bytes (a copy).
func (p *PublicKey) Bytes() []byte { return append([]byte(nil), p.raw...) }

// PrivateKey is a unit's sealing key as its gateway holds it.
type PrivateKey struct {
	seed []byte
	k    hpke.PrivateKey
	pub  *PublicKey
}

// GenerateKey makes a new key pair from SeedSize bytes of random.
func GenerateKey(random io.Reader) (*PrivateKey, error) {
	seed := make([]byte, SeedSize)
	if _, err := io.ReadFull(random, seed); err != nil {
		return nil, fmt.Errorf("new sealing key: %w", err)
	}
	return NewPrivateKey(seed)
}

// NewPrivateKey makes the key pair of a seed (PrivateKey.Seed).
func NewPrivateKey(seed []byte) (*PrivateKey, error) {
	if len(seed) != SeedSize {
		return nil, fmt.Errorf("a sealing private key is %d bytes, not %d", SeedSize, len(seed))
	}
	k, err := kem.NewPrivateKey(seed)
	if err != nil {
		return nil, fmt.Errorf("sealing private key: %w", err)
	}
	raw := k.PublicKey().Bytes()
	return &PrivateKey{seed: append([]byte(nil), seed...), k: k,
		pub: &PublicKey{id: KeyIDOf(raw), raw: raw, k: k.PublicKey()}}, nil
}

// Seed returns the private key's bytes (a copy), for the key ring to wrap.
// Never log them.
func (k *PrivateKey) Seed() []byte { return append([]byte(nil), k.seed...) }

// Public returns the key's public half.
func (k *PrivateKey) Public() *PublicKey { return k.pub }

// ID returns the key's id.
func (k *PrivateKey) ID() KeyID { return k.pub.id }
