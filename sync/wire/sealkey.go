package wire

import (
	"encoding/base64"
	"io"
	"time"
)

// Each care unit has a sealing key pair (package sync/seal): the central
// store will seal what patients write to the unit's public key, so that
// only the unit's gateway opens it. The gateway publishes the public key
// with PUT PathSealingKey2 as a SealingKeyStatement signed with the
// unit's certificate (the client certificate of the mutual TLS), and
// checks at every start, with GET PathSealingKey2, that what the central
// store publishes for it is what it signed: a key swapped at the central
// store, in its file or by whatever terminates TLS in front of it, is
// refused and never sealed to. The central store checks the statement
// against the client certificate of the request before it keeps it (one
// unit cannot publish a key for another). Signing and verifying are
// sync/seal's (seal.SignStatement, seal.VerifyStatement); this file is the
// shape on the wire.
//
// A central store of the previous release answers both with 404; the
// gateway then skips the publication (and says so in its log) and syncs
// as before.

// PathSealingKey2 is the unit's published sealing key: PUT
// SealingKeyStatement → 204, GET → 200 PublishedSealingKey.
const PathSealingKey2 = "/" + Version2 + "/sealing-key"

// SealingSuite names the one suite of sealed envelopes (seal.SuiteName).
const SealingSuite = "HPKE-v1/MLKEM768-X25519/HKDF-SHA256/AES-256-GCM"

// Limits of a SealingKeyStatement.
const (
	// SealingPublicKeyLen is a sealing public key's length in bytes
	// (ML-KEM-768 + X25519).
	SealingPublicKeyLen = 1216
	// SealingKeyIDLen is a key id's length: 32 lower-case hex digits.
	SealingKeyIDLen = 32
	// MaxCertificateBytes bounds the signer's certificate (DER).
	MaxCertificateBytes = 8 << 10
	// MaxSignatureBytes bounds a statement's signature.
	MaxSignatureBytes = 1 << 10
)

// SealingKeyStatement is a care unit's statement of its current sealing
// key, signed with the unit's certificate. Binary members are strings of
// base64 (RFC 4648 §4, padded); Bytes decodes them.
type SealingKeyStatement struct {
	// Unit is the care unit's HSA-ID, as its certificate names it.
	Unit string `json:"unit"`
	// KeyID is the key's id (seal.KeyIDOf the public key), 32 lower-case
	// hex digits.
	KeyID string `json:"keyId"`
	// Suite is SealingSuite.
	Suite string `json:"suite"`
	// PublicKey is the key, SealingPublicKeyLen bytes, in base64.
	PublicKey string `json:"publicKey"`
	// NotBefore is when the unit made the key; nothing is sealed to it
	// with an earlier time.
	NotBefore time.Time `json:"notBefore"`
	// Certificate is the signer's certificate (DER, in base64): the
	// unit's client certificate.
	Certificate string `json:"certificate"`
	// Signature is the certificate key's signature over the statement's
	// other members (seal.SignStatement says how), in base64.
	Signature string `json:"signature"`
}

// Decoded returns the binary members of a valid statement.
func (s SealingKeyStatement) Decoded() (publicKey, certificate, signature []byte, err error) {
	if err := s.Validate(); err != nil {
		return nil, nil, nil, err
	}
	publicKey, certificate, signature = decodeStatement(s.PublicKey, s.Certificate, s.Signature)
	return publicKey, certificate, signature, nil
}

// decodeStatement decodes the base64 members of a statement its
// Validate passed (this one's and the central store's, sealedout.go).
func decodeStatement(pub, cert, sig string) (publicKey, certificate, signature []byte) {
	publicKey, _ = base64.StdEncoding.Strict().DecodeString(pub)
	certificate, _ = base64.StdEncoding.Strict().DecodeString(cert)
	signature, _ = base64.StdEncoding.Strict().DecodeString(sig)
	return publicKey, certificate, signature
}

// PublishedSealingKey answers GET PathSealingKey2.
type PublishedSealingKey struct {
	// Statements are the unit's published statement, or none (an empty
	// array) when the unit has published none: at most one.
	Statements []SealingKeyStatement `json:"statements"`
}

// Validate checks a statement's form (not its signature).
func (s SealingKeyStatement) Validate() error { return invalid(s.check("")) }

func (s SealingKeyStatement) check(path string) error {
	if err := checkHSAID(member(path, "unit"), s.Unit, true); err != nil {
		return err
	}
	if !isLowerHex(s.KeyID, SealingKeyIDLen) {
		return failf(member(path, "keyId"), "must be %d lower-case hex digits", SealingKeyIDLen)
	}
	if s.Suite != SealingSuite {
		return failf(member(path, "suite"), "must be %s", SealingSuite)
	}
	if n, ok := base64Len(s.PublicKey, SealingPublicKeyLen); !ok || n != SealingPublicKeyLen {
		return failf(member(path, "publicKey"), "must be %d bytes in base64", SealingPublicKeyLen)
	}
	if s.NotBefore.IsZero() {
		return fail(member(path, "notBefore"), "must be set")
	}
	if n, ok := base64Len(s.Certificate, MaxCertificateBytes); !ok || n == 0 || n > MaxCertificateBytes {
		return failf(member(path, "certificate"), "must be 1 to %d bytes in base64", MaxCertificateBytes)
	}
	if n, ok := base64Len(s.Signature, MaxSignatureBytes); !ok || n == 0 || n > MaxSignatureBytes {
		return failf(member(path, "signature"), "must be 1 to %d bytes in base64", MaxSignatureBytes)
	}
	return nil
}

// base64Len returns the length of what s decodes to as strict, padded
// standard base64 of at most about max bytes; ok is false for anything
// else (the decoder itself skips line breaks: they are refused here).
func base64Len(s string, max int) (int, bool) {
	if len(s) > base64.StdEncoding.EncodedLen(max) {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return 0, false
		}
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return len(b), err == nil
}

// Validate checks the statements' form.
func (p PublishedSealingKey) Validate() error {
	if p.Statements == nil {
		return invalid(fail("statements", "must be present (an empty array when there is none)"))
	}
	if len(p.Statements) > 1 {
		return invalid(fail("statements", "must hold at most one statement"))
	}
	for i, s := range p.Statements {
		if err := s.check(index("statements", i)); err != nil {
			return invalid(err)
		}
	}
	return nil
}

// DecodeSealingKeyStatement reads a SealingKeyStatement (the server, from
// PUT PathSealingKey2) within MaxBodyBytes and validates its form.
func DecodeSealingKeyStatement(r io.Reader) (SealingKeyStatement, error) {
	return decodeBody[SealingKeyStatement](r)
}

// DecodePublishedSealingKey reads a PublishedSealingKey (the gateway, from
// GET PathSealingKey2) within MaxBodyBytes and validates its form.
func DecodePublishedSealingKey(r io.Reader) (PublishedSealingKey, error) {
	return decodeBody[PublishedSealingKey](r)
}
