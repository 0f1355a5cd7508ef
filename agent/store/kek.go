package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"clinicgw/sync/atomicfile"
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

const keyFileHeader = "clinicgw-kek-v1"

// FileKEK is a KEK held in a key file (32 random bytes, readable only by
// the service account).
type FileKEK struct {
	path string
	id   string
	aead cipher.AEAD
	rand io.Reader
}

// GenerateKeyFile writes a new random key-encryption key to path with mode
// 0600. It refuses to replace an existing file unless force is set.
func GenerateKeyFile(path string, random io.Reader, force bool) error {
	if random == nil {
		random = rand.Reader
	}
	key := make([]byte, 32)
	if _, err := io.ReadFull(random, key); err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	text := keyFileHeader + " " + base64.StdEncoding.EncodeToString(key) + "\n"
	if !force {
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("key file %s already exists; a new key would make the store unreadable (use --force only for a new, empty store)", path)
		}
	}
	return atomicfile.Write(path, []byte(text), 0o600)
}

// LoadKeyFile reads a key file written by GenerateKeyFile. It refuses a file
// that others can read.
func LoadKeyFile(path string) (*FileKEK, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if err := checkKeyFileMode(path, fi); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	header, enc, ok := strings.Cut(strings.TrimSpace(string(raw)), " ")
	if !ok || header != keyFileHeader {
		return nil, fmt.Errorf("key file %s is not a clinicgw key file (it should start with %q)", path, keyFileHeader)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("key file %s is damaged: it should hold 32 bytes in base64", path)
	}
	return newFileKEK(path, key, rand.Reader)
}

func newFileKEK(path string, key []byte, random io.Reader) (*FileKEK, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("clinicgw kek id v1"))
	return &FileKEK{path: path, id: "file:" + hex.EncodeToString(mac.Sum(nil)[:8]), aead: aead, rand: random}, nil
}

// ID returns the key's fingerprint, "file:" and 16 hex digits.
func (k *FileKEK) ID() string { return k.id }

// Path returns the file the key was read from.
func (k *FileKEK) Path() string { return k.path }

// Wrap seals plaintext with AES-256-GCM under the file's key.
func (k *FileKEK) Wrap(plaintext, aad []byte) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := io.ReadFull(k.rand, nonce); err != nil {
		return nil, fmt.Errorf("wrap: %w", err)
	}
	return k.aead.Seal(nonce, nonce, plaintext, aad), nil
}

// errUnwrap is returned when a wrapped key does not open.
var errUnwrap = errors.New("wrapped key does not open with this key-encryption key")

// Unwrap opens a key sealed by Wrap.
func (k *FileKEK) Unwrap(wrapped, aad []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(wrapped) < n+k.aead.Overhead() {
		return nil, errUnwrap
	}
	out, err := k.aead.Open(nil, wrapped[:n], wrapped[n:], aad)
	if err != nil {
		return nil, errUnwrap
	}
	return out, nil
}

// ReadSecretFile reads a small secret kept in a file beside the key file
// (a token's PIN), refusing one that others can read, as LoadKeyFile does.
func ReadSecretFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkKeyFileMode(path, fi); err != nil {
		return nil, err
	}
	if fi.Size() > 4096 {
		return nil, fmt.Errorf("%s is larger than a secret should be (%d bytes)", path, fi.Size())
	}
	return os.ReadFile(path)
}
