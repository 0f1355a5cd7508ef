package wire

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
)

// Sealing epochs (envelope version 3, package sync/seal). A gateway of
// this release asks for them with the query parameter
// SealingEnvelopeParam=SealingEnvelopeRef on PUT PathSealing2; the
// central store then seals the unit's new events in envelopes that name
// their epoch (seal.VersionEpochRef) instead of carrying its 1120-byte
// encapsulated key, and keeps each epoch's record, which the gateway
// fetches once per epoch it does not hold (GET PathSealingEpochs2?id=)
// and keeps in its own store. When the gateway gives events back to a
// central store that lost them (PathReconcile2), it first puts their
// epochs back (PUT PathSealingEpochs2). The id binds the unit, the key
// and the encapsulated key (seal.EpochRecord.ID): a record altered or
// swapped on the way is refused by whoever reads it.
//
// Versions: a central store of the previous release ignores the query
// parameter and seals version 2, which carries its encapsulated key; a
// gateway of the previous release does not send it and gets version 2.

// PathSealingEpochs2 is the unit's sealing epochs: GET ?id=<epoch id> →
// 200 SealingEpoch (404 if the central store has no such epoch of the
// unit); PUT SealingEpoch → 204.
const PathSealingEpochs2 = "/" + Version2 + "/sealing-epochs"

// The query parameter of PUT PathSealing2 with which a gateway asks for
// envelopes that name their epoch (version 3).
const (
	SealingEnvelopeParam = "envelope"
	SealingEnvelopeRef   = "3"
)

// SealingEpochIDLen is the length of an epoch id in hex digits.
const SealingEpochIDLen = 32

// SealingEpochEncBytes is the length of an epoch's encapsulated key (the
// KEM ML-KEM-768 + X25519).
const SealingEpochEncBytes = 1120

// SealingEpoch is an epoch's record: its id, the unit's key it was
// encapsulated to, and the encapsulated key.
type SealingEpoch struct {
	// ID is the epoch id (32 lower-case hex digits) that version-3
	// envelopes name.
	ID string `json:"id"`
	// KeyID is the unit's sealing key (32 lower-case hex digits).
	KeyID string `json:"keyId"`
	// Enc is the encapsulated key, padded base64 of 1120 bytes.
	Enc string `json:"enc"`
}

// Validate checks the form of a SealingEpoch (its binding is sync/seal's
// to check).
func (e SealingEpoch) Validate() error {
	switch {
	case !isLowerHex(e.ID, SealingEpochIDLen):
		return invalid(failf("id", "must be %d lower-case hex digits", SealingEpochIDLen))
	case !isLowerHex(e.KeyID, SealingKeyIDLen):
		return invalid(failf("keyId", "must be %d lower-case hex digits", SealingKeyIDLen))
	}
	if b, ok := sealedB64(e.Enc); !ok || len(b) != SealingEpochEncBytes {
		return invalid(failf("enc", "must be padded base64 of %d bytes", SealingEpochEncBytes))
	}
	return nil
}

// EncBytes returns the encapsulated key of a validated SealingEpoch.
func (e SealingEpoch) EncBytes() []byte {
	b, _ := base64.StdEncoding.Strict().DecodeString(e.Enc)
	return b
}

// DecodeSealingEpoch reads and validates a SealingEpoch body.
func DecodeSealingEpoch(r io.Reader) (SealingEpoch, error) {
	return decodeBody[SealingEpoch](r)
}

// QueryEpochID is GET PathSealingEpochs2's parameter: the epoch id.
const QueryEpochID = "id"

// ParseSealingEpochQuery reads GET PathSealingEpochs2's query: exactly
// one id of 32 lower-case hex digits, nothing else (a 400 Problem).
func ParseSealingEpochQuery(q url.Values) (string, error) {
	vs, ok := q[QueryEpochID]
	switch {
	case len(q) != 1 || !ok:
		return "", BadRequest("The sealing epoch query takes one parameter, id, and no other.")
	case len(vs) != 1 || !isLowerHex(vs[0], SealingEpochIDLen):
		return "", BadRequest(fmt.Sprintf("The sealing epoch query parameter id must appear once, as %d lower-case hex digits.", SealingEpochIDLen))
	}
	return vs[0], nil
}
