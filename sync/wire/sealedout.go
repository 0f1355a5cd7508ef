package wire

import (
	"bytes"
	"io"
	"time"
)

// Outbound sealing (issue 22, item 4). The central store has a sealing
// key pair of its own (the same suite, package sync/seal) and publishes
// its public key at GET PathCentralSealingKey2 as a
// CentralSealingKeyStatement signed with the key of its TLS server
// certificate. The gateway verifies the statement against the central CA
// it pins (never against the TLS peer's certificate: a TLS-terminating
// proxy in between presents its own) and, with sealing on, posts its
// outbox to PathOutboxSealed2 instead of PathOutbox2: each item's content
// (the OutboxItem itself: the staff message, the status, the initiated
// case with the patient's identity) sealed to the central store's key in
// a SealedOutboxItem, bound to the unit, the item's idempotency key and
// its kind (seal.OutboxContext), with only what routing needs in the
// clear. The central store opens each item, checks that the opened item
// is the one the clear members name, and applies it exactly as a plain
// item of PathOutbox2 (the same idempotency digests, over the opened
// item); an item that does not open is rejected with a problem, never
// applied. The answer is an OutboxResult, as PathOutbox2's.
//
// Versions: a central store of the previous release answers 404 to both
// paths; the gateway then posts plain items to PathOutbox2 — until it has
// once sealed to a verified central key: from then on its items wait in
// its outbox rather than go plain (no downgrade). A central store of this
// release takes plain items at PathOutbox2 from a gateway of the previous
// release as before.

// The paths of outbound sealing (protocol v2).
const (
	// PathCentralSealingKey2: GET → 200 PublishedCentralSealingKey.
	PathCentralSealingKey2 = "/" + Version2 + "/central-sealing-key"
	// PathOutboxSealed2: POST SealedOutboxBatch2 → 200 OutboxResult.
	PathOutboxSealed2 = "/" + Version2 + "/outbox-sealed"
)

// CentralSealingKeyStatement is the central store's statement of its
// sealing key, signed with the key of its TLS server certificate
// (seal.SignCentralStatement says over which bytes). Binary members are
// padded base64 (RFC 4648 §4).
type CentralSealingKeyStatement struct {
	// KeyID is the key's id (seal.KeyIDOf the public key), 32 lower-case
	// hex digits.
	KeyID string `json:"keyId"`
	// Suite is SealingSuite.
	Suite string `json:"suite"`
	// PublicKey is the key, SealingPublicKeyLen bytes, in base64.
	PublicKey string `json:"publicKey"`
	// NotBefore is when the central store made the key.
	NotBefore time.Time `json:"notBefore"`
	// Certificate is the signer's certificate (DER, in base64): the
	// central store's TLS server certificate, issued by the central CA
	// the gateway pins.
	Certificate string `json:"certificate"`
	// Signature is the certificate key's signature, in base64.
	Signature string `json:"signature"`
	// Chain are the intermediate CA certificates between Certificate and
	// the pinned central CA (DER, in base64), at most
	// MaxCentralChainCerts; not signed over (the verification of the
	// certificate binds them).
	Chain []string `json:"chain,omitzero"`
}

// MaxCentralChainCerts bounds CentralSealingKeyStatement.Chain.
const MaxCentralChainCerts = 4

// Validate checks a statement's form (not its signature).
func (s CentralSealingKeyStatement) Validate() error { return invalid(s.check("")) }

func (s CentralSealingKeyStatement) check(path string) error {
	// The unit's statement's rules, with a placeholder unit: the members
	// are the same but the unit.
	u := SealingKeyStatement{Unit: "SE2321000016-0000", KeyID: s.KeyID, Suite: s.Suite, PublicKey: s.PublicKey,
		NotBefore: s.NotBefore, Certificate: s.Certificate, Signature: s.Signature}
	if err := u.check(path); err != nil {
		return err
	}
	if len(s.Chain) > MaxCentralChainCerts {
		return failf(member(path, "chain"), "must hold at most %d certificates", MaxCentralChainCerts)
	}
	for i, c := range s.Chain {
		if n, ok := base64Len(c, MaxCertificateBytes); !ok || n == 0 || n > MaxCertificateBytes {
			return failf(index(member(path, "chain"), i), "must be 1 to %d bytes in base64", MaxCertificateBytes)
		}
	}
	return nil
}

// Decoded returns the binary members of a valid statement.
func (s CentralSealingKeyStatement) Decoded() (publicKey, certificate, signature []byte, err error) {
	if err := s.Validate(); err != nil {
		return nil, nil, nil, err
	}
	publicKey, certificate, signature = decodeStatement(s.PublicKey, s.Certificate, s.Signature)
	return publicKey, certificate, signature, nil
}

// PublishedCentralSealingKey answers GET PathCentralSealingKey2.
type PublishedCentralSealingKey struct {
	// Statements are the central store's statement, or none (an empty
	// array) while it publishes no key: at most one.
	Statements []CentralSealingKeyStatement `json:"statements"`
}

// Validate checks the statements' form.
func (p PublishedCentralSealingKey) Validate() error {
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

// SealedOutboxItem is an outbox item with its content sealed: the
// plaintext of Sealed is the OutboxItem's canonical JSON (Marshal of a
// one-item OutboxBatch's item, see SealedItemContent).
type SealedOutboxItem struct {
	// IdempotencyKey is the item's key (as OutboxItem.IdempotencyKey).
	IdempotencyKey string `json:"idempotencyKey"`
	// CaseID is the item's case (as OutboxItem.CaseID).
	CaseID string `json:"caseId"`
	// Kind is the item's kind (as OutboxItem.Kind).
	Kind OutboxKind `json:"kind"`
	// Sealed is the envelope (sync/seal) of the item, in base64.
	Sealed string `json:"sealed"`
}

// SealedOutboxBatch2 is the body of POST PathOutboxSealed2.
type SealedOutboxBatch2 struct {
	// Items are the sealed items, 1..MaxOutboxItems, distinct keys,
	// applied in order.
	Items []SealedOutboxItem `json:"items"`
	// Staff is as OutboxBatch2.Staff: staff identifiers (HSA-IDs), not
	// patient data, kept in the clear.
	Staff []ItemStaff `json:"staff,omitzero"`
}

// Keys returns the batch's items as an OutboxBatch of their keys only
// (for OutboxResult.Matches).
func (b SealedOutboxBatch2) Keys() OutboxBatch {
	out := OutboxBatch{Items: make([]OutboxItem, len(b.Items))}
	for i, it := range b.Items {
		out.Items[i].IdempotencyKey = it.IdempotencyKey
	}
	return out
}

// SealedBytes returns the item's envelope; false if it is not strict
// base64.
func (it SealedOutboxItem) SealedBytes() ([]byte, bool) {
	return sealedB64(it.Sealed)
}

// MaxSealedItemLen bounds SealedOutboxItem.Sealed, in base64 characters.
const MaxSealedItemLen = MaxSealedLen

// Validate checks a sealed batch's form: 1..MaxOutboxItems items with
// distinct keys, each sealed, and staff entries as OutboxBatch2's.
func (b SealedOutboxBatch2) Validate() error { return invalid(b.check()) }

func (b SealedOutboxBatch2) check() error {
	if len(b.Items) == 0 || len(b.Items) > MaxOutboxItems {
		return failf("items", "must hold 1 to %d items", MaxOutboxItems)
	}
	keys := make(map[string]bool, len(b.Items))
	for i, it := range b.Items {
		path := index("items", i)
		if err := it.check(path); err != nil { // confirmedsealed.go
			return err
		}
		if _, seen := keys[it.IdempotencyKey]; seen {
			return fail(member(path, "idempotencyKey"), "repeats an earlier item's key")
		}
		keys[it.IdempotencyKey] = false
	}
	if len(b.Staff) > len(b.Items) {
		return fail("staff", "must hold at most one entry per item")
	}
	for i, s := range b.Staff {
		path := index("staff", i)
		if err := s.check(path); err != nil {
			return err
		}
		seen, ok := keys[s.IdempotencyKey]
		switch {
		case !ok:
			return fail(member(path, "idempotencyKey"), "names no item of the batch")
		case seen:
			return fail(member(path, "idempotencyKey"), "repeats an earlier entry's key")
		}
		keys[s.IdempotencyKey] = true
	}
	return nil
}

// SealedItemContent returns the plaintext to seal for it: its canonical
// JSON, validated.
func SealedItemContent(it OutboxItem) ([]byte, error) {
	if err := it.Validate(); err != nil {
		return nil, err
	}
	return encode(it)
}

// OpenedItem reads the plaintext of a sealed item strictly and checks
// that it is a valid item with the key, case and kind the clear members
// of sealed name; anything else is refused (a 400 Problem).
func OpenedItem(sealed SealedOutboxItem, plaintext []byte) (OutboxItem, error) {
	var it OutboxItem
	if err := DecodeJSON(bytes.NewReader(plaintext), MaxBodyBytes, &it); err != nil {
		return OutboxItem{}, err
	}
	if err := it.Validate(); err != nil {
		return OutboxItem{}, err
	}
	if it.IdempotencyKey != sealed.IdempotencyKey || it.CaseID != sealed.CaseID || it.Kind != sealed.Kind {
		return OutboxItem{}, invalid(fail("sealed", "opens to an item with another key, case or kind than the clear members name"))
	}
	return it, nil
}

// DecodeCentralSealingKeyStatement reads a CentralSealingKeyStatement
// within MaxBodyBytes and validates its form.
func DecodeCentralSealingKeyStatement(r io.Reader) (CentralSealingKeyStatement, error) {
	return decodeBody[CentralSealingKeyStatement](r)
}

// DecodePublishedCentralSealingKey reads a PublishedCentralSealingKey (the
// gateway, from GET PathCentralSealingKey2) and validates its form.
func DecodePublishedCentralSealingKey(r io.Reader) (PublishedCentralSealingKey, error) {
	return decodeBody[PublishedCentralSealingKey](r)
}

// DecodeSealedOutboxBatch2 reads a SealedOutboxBatch2 (the server, from
// POST PathOutboxSealed2) within MaxBodyBytes and validates its form.
func DecodeSealedOutboxBatch2(r io.Reader) (SealedOutboxBatch2, error) {
	return decodeBody[SealedOutboxBatch2](r)
}
