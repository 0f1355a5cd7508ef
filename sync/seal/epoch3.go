package seal

import (
	"crypto/cipher"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/hsaid"
)

// VersionEpochRef is the envelope version that names its epoch instead
// of carrying the epoch's encapsulated key (see the package doc, Epoch
// references): the encapsulation travels once per epoch, as an
// EpochRecord.
const VersionEpochRef = 3

// EpochIDSize is the length of an epoch id in bytes (hex: twice that).
const EpochIDSize = 16

// EpochID names an epoch: the first 16 bytes of SHA-256 over a label, the
// unit, the key id and the encapsulated key (EpochRecord.ID), so that no
// other encapsulation, key or unit answers to it.
type EpochID [EpochIDSize]byte

// String is the id in lower-case hex.
func (id EpochID) String() string { return hex.EncodeToString(id[:]) }

// ParseEpochID reads an epoch id from its hex form.
func ParseEpochID(s string) (EpochID, error) {
	var id EpochID
	if len(s) != 2*EpochIDSize {
		return id, fmt.Errorf("a sealing epoch id is %d hex digits, not %d characters", 2*EpochIDSize, len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil || hex.EncodeToString(id[:]) != s {
		return id, errors.New("a sealing epoch id is lower-case hex digits")
	}
	return id, nil
}

// epochIDLabel begins what an epoch id hashes.
const epochIDLabel = "clinicgw seal v3 epoch"

// epochKeyExporter labels the exporter secret that is a version-3
// epoch's AES-256-GCM key.
const epochKeyExporter = "clinicgw seal v3 epoch key"

// ErrUnknownEpoch: a version-3 envelope names an epoch the opener was not
// given (Opener.AddEpoch). Not a refusal of the envelope: its record is
// to be found (the page's central store, the gateway's store) and the
// envelope opened again. A *EpochError names the epoch.
var ErrUnknownEpoch = errors.New("sealed under an epoch this opener does not have")

// EpochError says which epoch an envelope names that the opener lacks.
type EpochError struct{ ID EpochID }

func (e *EpochError) Error() string { return fmt.Sprintf("%v (epoch %s)", ErrUnknownEpoch, e.ID) }

// Is makes an *EpochError match ErrUnknownEpoch.
func (e *EpochError) Is(target error) bool { return target == ErrUnknownEpoch }

// EpochRecord is the public part of an epoch: its unit, the key it is
// encapsulated to and the encapsulated key. Its ID binds all three.
type EpochRecord struct {
	Unit  string
	KeyID KeyID
	Enc   []byte // EncSize bytes
}

// ID is the record's epoch id.
func (r EpochRecord) ID() EpochID {
	h := sha256.New()
	h.Write([]byte(epochIDLabel))
	h.Write([]byte{byte(len(r.Unit))})
	h.Write([]byte(r.Unit))
	h.Write(r.KeyID[:])
	h.Write(r.Enc)
	var id EpochID
	copy(id[:], h.Sum(nil))
	return id
}

// Bytes is the record's stored form without its unit (the store keeps it
// under the unit): the key id, then the encapsulated key.
func (r EpochRecord) Bytes() []byte {
	return append(append(make([]byte, 0, KeyIDSize+EncSize), r.KeyID[:]...), r.Enc...)
}

// ParseEpochRecord reads a record of unit stored by Bytes and checks that
// it is the epoch id: a record altered, swapped or of another unit is
// refused with ErrAltered (ErrMalformed if it is not of the form).
func ParseEpochRecord(unit string, id EpochID, b []byte) (EpochRecord, error) {
	if !hsaid.Valid(unit) {
		return EpochRecord{}, fmt.Errorf("%w: the epoch's unit is not an HSA-ID", ErrMalformed)
	}
	if len(b) != KeyIDSize+EncSize {
		return EpochRecord{}, fmt.Errorf("%w: an epoch record of %d bytes, not %d", ErrMalformed, len(b), KeyIDSize+EncSize)
	}
	r := EpochRecord{Unit: unit, Enc: append([]byte(nil), b[KeyIDSize:]...)}
	copy(r.KeyID[:], b)
	if r.ID() != id {
		return EpochRecord{}, fmt.Errorf("%w: the epoch record is not epoch %s", ErrAltered, id)
	}
	return r, nil
}

// Wire is the record as the sync protocol carries it.
func (r EpochRecord) Wire() wire.SealingEpoch {
	return wire.SealingEpoch{ID: r.ID().String(), KeyID: r.KeyID.String(), Enc: base64.StdEncoding.EncodeToString(r.Enc)}
}

// EpochRecordOf is the record of unit a validated wire.SealingEpoch says,
// refused (ErrAltered) unless its id binds it.
func EpochRecordOf(unit string, e wire.SealingEpoch) (EpochRecord, error) {
	id, err := ParseEpochID(e.ID)
	if err != nil {
		return EpochRecord{}, fmt.Errorf("%w: %v", ErrAltered, err)
	}
	key, err := ParseKeyID(e.KeyID)
	if err != nil {
		return EpochRecord{}, fmt.Errorf("%w: %v", ErrAltered, err)
	}
	return ParseEpochRecord(unit, id, append(key[:], e.EncBytes()...))
}

// epochAEAD is a version-3 epoch's AEAD: AES-256-GCM under the epoch's
// exporter secret, made once per epoch.
func epochAEAD(export func(string, int) ([]byte, error)) (cipher.AEAD, error) {
	key, err := export(epochKeyExporter, 32)
	if err != nil {
		return nil, err
	}
	return gcm(key)
}

// headerV3 writes a version-3 envelope's bytes before the nonce: the
// version-1 header (version 3) and the epoch id.
func headerV3(unit string, key KeyID, ep EpochID) []byte {
	h := header(unit, key)
	h[0] = VersionEpochRef
	return append(h, ep[:]...)
}

// SealRef encrypts plaintext to pub for the unit, id and kind in c, under
// the unit's current epoch: a version-3 envelope, which names the epoch;
// rec is the epoch's record, which whoever keeps the envelope must keep
// too (the central store's epoch table) for the envelope to open.
func (e *Epochs) SealRef(pub *PublicKey, c Context, plaintext []byte) (env []byte, rec EpochRecord, err error) {
	if err := c.check(); err != nil {
		return nil, rec, err
	}
	if len(plaintext) > MaxPlaintext {
		return nil, rec, fmt.Errorf("seal: %d bytes is more than an envelope holds (%d)", len(plaintext), MaxPlaintext)
	}
	e.mu.Lock()
	ep, err := e.current(pub, c.Unit)
	if err == nil {
		ep.sealed++
		if ep.ref == nil {
			ep.rec = EpochRecord{Unit: c.Unit, KeyID: pub.id, Enc: ep.enc}
			ep.refID = ep.rec.ID()
			ep.ref, err = epochAEAD(ep.sender.Export)
		}
	}
	e.mu.Unlock()
	if err != nil {
		return nil, rec, fmt.Errorf("seal: %w", err)
	}
	hdr := headerV3(c.Unit, pub.id, ep.refID)
	out := make([]byte, 0, len(hdr)+NonceSize+4+len(plaintext)+tagSize)
	out = append(out, hdr...)
	nonce := out[len(out) : len(out)+NonceSize]
	if _, err := io.ReadFull(e.random, nonce); err != nil {
		return nil, rec, fmt.Errorf("seal: the nonce: %w", err)
	}
	out = out[:len(out)+NonceSize]
	out = binary.BigEndian.AppendUint32(out, uint32(len(plaintext)+tagSize))
	return ep.ref.Seal(out, nonce, plaintext, additionalData(hdr, c)), ep.rec, nil
}

// AddEpoch gives the opener an epoch's record, so that version-3
// envelopes naming it open: one decapsulation, then one AEAD per
// envelope. A record of another unit is a *UnitError, one to a key the
// opener does not hold a *KeyError; an encapsulation the KEM refuses is
// ErrAltered. The record's binding to its id is by construction (the
// opener files it under rec.ID()).
func (o *Opener) AddEpoch(rec EpochRecord) error {
	if rec.Unit != o.unit {
		return &UnitError{Got: rec.Unit, Want: o.unit}
	}
	k := o.keys[rec.KeyID]
	if k == nil {
		return &KeyError{KeyID: rec.KeyID, Retired: o.retired[rec.KeyID]}
	}
	if len(rec.Enc) != EncSize {
		return fmt.Errorf("%w: an encapsulated key of %d bytes", ErrMalformed, len(rec.Enc))
	}
	id := rec.ID()
	if o.HasEpoch(id) {
		return nil
	}
	r, err := hpke.NewRecipient(rec.Enc, k.k, kdf, aead, info)
	if err != nil {
		return ErrAltered
	}
	a, err := epochAEAD(r.Export)
	if err != nil {
		return ErrAltered
	}
	o.mu.Lock()
	if len(o.refs) >= maxOpenEpochs {
		clear(o.refs)
	}
	o.refs[id] = a
	o.mu.Unlock()
	return nil
}

// HasEpoch reports whether the opener holds the epoch id.
func (o *Opener) HasEpoch(id EpochID) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.refs[id] != nil
}

// openRef opens a version-3 envelope with its epoch's AEAD.
func (o *Opener) openRef(e *Envelope, c Context) ([]byte, error) {
	o.mu.Lock()
	a := o.refs[e.Epoch]
	o.mu.Unlock()
	if a == nil {
		return nil, &EpochError{ID: e.Epoch}
	}
	pt, err := a.Open(nil, e.Nonce, e.Ciphertext, additionalData(e.header, c))
	if err != nil {
		return nil, ErrAltered
	}
	return pt, nil
}

// EpochOf returns the epoch a version-3 envelope names; false for any
// other envelope or bytes that are none.
func EpochOf(env []byte) (KeyID, EpochID, bool) {
	e, err := Decode(env)
	if err != nil || e.Version != VersionEpochRef {
		return KeyID{}, EpochID{}, false
	}
	return e.KeyID, e.Epoch, true
}
