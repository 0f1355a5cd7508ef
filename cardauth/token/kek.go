package token

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/miekg/pkcs11"
)

// KEK blob layout: version, nonce, then AES-GCM ciphertext and tag.
const (
	kekVersion  byte = 1
	kekNonceLen      = 12
	kekTagBits       = 128
	kekTagLen        = kekTagBits / 8
)

// ErrKEKMismatch is returned by Unwrap when the blob was not wrapped by
// this key with this associated data, or was altered.
var ErrKEKMismatch = errors.New("token: the wrapped key does not open with this key-encryption key (another key, other associated data, or altered)")

// KEK is a key-encryption key that never leaves the token: an AES secret
// key (CKO_SECRET_KEY, CKK_AES) found by its label. Wrap and Unwrap
// encrypt small secrets (a store's data keys) with AES-GCM
// (CKM_AES_GCM) on the token; the nonce comes from Config.Rand.
type KEK struct {
	t     *Token
	label string
	rand  io.Reader

	handle pkcs11.ObjectHandle
}

// KEK finds the AES key labelled label. It needs Login first (secret
// keys are private objects) and CKM_AES_GCM on the token.
func (t *Token) KEK(ctx context.Context, label string) (*KEK, error) {
	if !t.mechs[pkcs11.CKM_AES_GCM] {
		return nil, fmt.Errorf("%w: AES-GCM (CKM_AES_GCM) for the key-encryption key", ErrMechanism)
	}
	k := &KEK{t: t, label: label, rand: t.cfg.Rand}
	err := t.do(ctx, t.cfg.Deadline, "find key", func(p p11) error {
		hs, err := findObjects(p, t.sess, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		})
		if err != nil {
			return err
		}
		switch len(hs) {
		case 0:
			if !t.LoggedIn() {
				return fmt.Errorf("%w: no AES key labelled %q (%w)", ErrNoKey, label, ErrNotLoggedIn)
			}
			return fmt.Errorf("%w: no AES key labelled %q; create it on the token first", ErrNoKey, label)
		case 1:
			k.handle = hs[0]
			return nil
		}
		return fmt.Errorf("token: %d AES keys are labelled %q; give the key-encryption key a label of its own", len(hs), label)
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Label returns the key's label.
func (k *KEK) Label() string { return k.label }

// Wrap encrypts secret with the token's key, binding aad (for example
// the record path) to it: version 1, a 12-byte nonce, then ciphertext and
// a 16-byte tag.
func (k *KEK) Wrap(ctx context.Context, secret, aad []byte) ([]byte, error) {
	nonce := make([]byte, kekNonceLen)
	if _, err := io.ReadFull(k.rand, nonce); err != nil {
		return nil, fmt.Errorf("token: KEK nonce: %w", err)
	}
	var ct []byte
	err := k.t.do(ctx, k.t.cfg.Deadline, "wrap", func(p p11) error {
		params := pkcs11.NewGCMParams(nonce, aad, kekTagBits)
		defer params.Free()
		if err := p.EncryptInit(k.t.sess, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, k.handle); err != nil {
			return fmt.Errorf("token: start wrapping: %w", err)
		}
		out, err := p.Encrypt(k.t.sess, secret)
		if err != nil {
			return fmt.Errorf("token: wrap: %w", err)
		}
		ct = out
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(ct) != len(secret)+kekTagLen {
		return nil, fmt.Errorf("token: wrap: the token returned %d bytes for %d; want ciphertext and a 16-byte tag", len(ct), len(secret))
	}
	blob := make([]byte, 0, 1+kekNonceLen+len(ct))
	blob = append(blob, kekVersion)
	blob = append(blob, nonce...)
	return append(blob, ct...), nil
}

// Unwrap decrypts a blob from Wrap with the same aad.
func (k *KEK) Unwrap(ctx context.Context, blob, aad []byte) ([]byte, error) {
	nonce, ct, err := parseKEKBlob(blob)
	if err != nil {
		return nil, err
	}
	var pt []byte
	err = k.t.do(ctx, k.t.cfg.Deadline, "unwrap", func(p p11) error {
		params := pkcs11.NewGCMParams(nonce, aad, kekTagBits)
		defer params.Free()
		if err := p.DecryptInit(k.t.sess, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, k.handle); err != nil {
			return fmt.Errorf("token: start unwrapping: %w", err)
		}
		out, err := p.Decrypt(k.t.sess, ct)
		// A tag that does not match is CKR_ENCRYPTED_DATA_INVALID by the
		// standard; SoftHSM2 2.6.1 says CKR_GENERAL_ERROR.
		if rvIs(err, pkcs11.CKR_ENCRYPTED_DATA_INVALID) || rvIs(err, pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE) || rvIs(err, pkcs11.CKR_GENERAL_ERROR) {
			return fmt.Errorf("%w (%w)", ErrKEKMismatch, err)
		}
		if err != nil {
			return fmt.Errorf("token: unwrap: %w", err)
		}
		pt = out
		return nil
	})
	return pt, err
}

// parseKEKBlob splits a wrapped blob into nonce and ciphertext.
func parseKEKBlob(blob []byte) (nonce, ct []byte, err error) {
	if len(blob) < 1+kekNonceLen+kekTagLen {
		return nil, nil, fmt.Errorf("token: the wrapped key has %d bytes, too short to be one (at least %d)", len(blob), 1+kekNonceLen+kekTagLen)
	}
	if blob[0] != kekVersion {
		return nil, nil, fmt.Errorf("token: the wrapped key has format version %d; this gateway reads version %d", blob[0], kekVersion)
	}
	return blob[1 : 1+kekNonceLen], blob[1+kekNonceLen:], nil
}
