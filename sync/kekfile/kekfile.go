package kekfile

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
	"io/fs"
	"os"
	"strings"

	"clinicgw/sync/atomicfile"
)

// Header starts a key file.
const Header = "clinicgw-kek-v1"

// KeySize is the size of the key a file holds (AES-256).
const KeySize = 32

// Key is a key-encryption key held in a key file.
type Key struct {
	path string
	id   string
	aead cipher.AEAD
	rand io.Reader
}

// ErrUnwrap is returned when a wrapped key does not open with the key.
var ErrUnwrap = errors.New("wrapped key does not open with this key-encryption key")

// Generate writes a new random key to path with mode 0600. It refuses to
// replace an existing file unless force is set.
func Generate(path string, random io.Reader, force bool) error {
	if random == nil {
		random = rand.Reader
	}
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(random, key); err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	if !force {
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("key file %s already exists; a new key would make the store unreadable (use --force only for a new, empty store)", path)
		}
	}
	return atomicfile.Write(path, []byte(fileText(key)), 0o600)
}

func fileText(key []byte) string {
	return Header + " " + base64.StdEncoding.EncodeToString(key) + "\n"
}

// Load reads a key file written by Generate; random gives the wrapping
// nonces (nil: crypto/rand). It refuses a file that others can read.
func Load(path string, random io.Reader) (*Key, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if err := CheckMode(path, fi); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	header, enc, ok := strings.Cut(strings.TrimSpace(string(raw)), " ")
	if !ok || header != Header {
		return nil, fmt.Errorf("key file %s is not a clinicgw key file (it should start with %q)", path, Header)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("key file %s is damaged: it should hold %d bytes in base64", path, KeySize)
	}
	return New(path, key, random)
}

// LoadOrCreate reads the key file at path, making it (mode 0600, from
// random) when there is none.
func LoadOrCreate(path string, random io.Reader) (*Key, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := Generate(path, random, false); err != nil {
			return nil, err
		}
	}
	return Load(path, random)
}

// New returns the key of key (KeySize bytes), read from path (for
// messages; "" for none).
func New(path string, key []byte, random io.Reader) (*Key, error) {
	if random == nil {
		random = rand.Reader
	}
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
	return &Key{path: path, id: "file:" + hex.EncodeToString(mac.Sum(nil)[:8]), aead: aead, rand: random}, nil
}

// ID returns the key's fingerprint, "file:" and 16 hex digits.
func (k *Key) ID() string { return k.id }

// Path returns the file the key was read from.
func (k *Key) Path() string { return k.path }

// Wrap seals plaintext with AES-256-GCM under the key, bound to aad.
func (k *Key) Wrap(plaintext, aad []byte) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := io.ReadFull(k.rand, nonce); err != nil {
		return nil, fmt.Errorf("wrap: %w", err)
	}
	return k.aead.Seal(nonce, nonce, plaintext, aad), nil
}

// Unwrap opens a key sealed by Wrap; ErrUnwrap if the key or aad differ.
func (k *Key) Unwrap(wrapped, aad []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(wrapped) < n+k.aead.Overhead() {
		return nil, ErrUnwrap
	}
	out, err := k.aead.Open(nil, wrapped[:n], wrapped[n:], aad)
	if err != nil {
		return nil, ErrUnwrap
	}
	return out, nil
}

// ReadSecret reads a small secret kept in a file beside the key file (a
// token's PIN), refusing one that others can read, as Load does.
func ReadSecret(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := CheckMode(path, fi); err != nil {
		return nil, err
	}
	if fi.Size() > 4096 {
		return nil, fmt.Errorf("%s is larger than a secret should be (%d bytes)", path, fi.Size())
	}
	return os.ReadFile(path)
}
