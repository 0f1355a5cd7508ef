package store

import (
	"crypto/rand"
	"io"

	"clinicgw/sync/kekfile"
)

// KEK is a key-encryption key: it wraps and unwraps the key ring's data keys.
// The key itself stays with the implementation (a file, a token).
type KEK interface {
	// ID is a non-secret fingerprint that tells keys apart in messages.
	ID() string
	// Wrap encrypts a data key; aad binds it to its place in the key ring.
	Wrap(plaintext, aad []byte) ([]byte, error)
	// Unwrap reverses Wrap; it fails if the key or aad differ.
	Unwrap(wrapped, aad []byte) ([]byte, error)
}

// FileKEK is a KEK held in a key file (32 random bytes, readable only by
// the service account): sync/kekfile's, which the central store uses too.
type FileKEK = kekfile.Key

// GenerateKeyFile writes a new random key-encryption key to path with mode
// 0600. It refuses to replace an existing file unless force is set.
func GenerateKeyFile(path string, random io.Reader, force bool) error {
	return kekfile.Generate(path, random, force)
}

// LoadKeyFile reads a key file written by GenerateKeyFile. It refuses a file
// that others can read.
func LoadKeyFile(path string) (*FileKEK, error) {
	return kekfile.Load(path, rand.Reader)
}

// ReadSecretFile reads a small secret kept in a file beside the key file
// (a token's PIN), refusing one that others can read, as LoadKeyFile does.
func ReadSecretFile(path string) ([]byte, error) { return kekfile.ReadSecret(path) }
