package seal

import (
	"crypto/cipher"
	"crypto/hpke"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"clinicgw/sync/wire/hsaid"
)

// Version is the envelope format this package writes and reads.
const Version = 1

// Limits of the envelope.
const (
	// MaxPlaintext bounds what one envelope seals: a case with its
	// answers, a message (attachments will travel in chunks of at most
	// this).
	MaxPlaintext = 4 << 20
	// MaxContextLen bounds Context.ID and Context.Kind, in bytes.
	MaxContextLen = 64
	// tagSize is AES-256-GCM's tag.
	tagSize = 16
	// MaxEnvelope is the longest envelope Decode takes.
	MaxEnvelope = fixedSize + NonceSize + hsaid.MaxLen + MaxPlaintext + tagSize
	// fixedSize is every byte of an envelope but the unit and the
	// ciphertext.
	fixedSize = 8 + KeyIDSize + EncSize + 4
)

var info = []byte("clinicgw seal v1")

// The refusals of Open, matched with errors.Is. A *KeyError is
// ErrUnknownKey or ErrRetiredKey, a *UnitError is ErrWrongUnit.
var (
	// ErrTruncated: the envelope ends before its fields do.
	ErrTruncated = errors.New("sealed envelope is truncated")
	// ErrMalformed: a field breaks the format (version, suite, a length
	// out of bounds, bytes after the ciphertext).
	ErrMalformed = errors.New("sealed envelope is malformed")
	// ErrAltered: the envelope does not open with its key: altered, or
	// moved to another case, event or kind.
	ErrAltered = errors.New("sealed envelope does not open: altered, or moved from another case")
	// ErrUnknownKey: sealed to a key id the opener does not know.
	ErrUnknownKey = errors.New("sealed to a key this unit does not have")
	// ErrRetiredKey: sealed to a key whose private half was destroyed.
	ErrRetiredKey = errors.New("sealed to a retired key")
	// ErrWrongUnit: sealed to another care unit.
	ErrWrongUnit = errors.New("sealed to another care unit")
)

// KeyError says which key an envelope names that the opener cannot use.
type KeyError struct {
	KeyID   KeyID
	Retired bool
}

func (e *KeyError) Error() string {
	if e.Retired {
		return fmt.Sprintf("%v (key %s)", ErrRetiredKey, e.KeyID)
	}
	return fmt.Sprintf("%v (key %s)", ErrUnknownKey, e.KeyID)
}

// Is makes a *KeyError match ErrUnknownKey or ErrRetiredKey.
func (e *KeyError) Is(target error) bool {
	return (target == ErrRetiredKey && e.Retired) || (target == ErrUnknownKey && !e.Retired)
}

// UnitError says for which unit an envelope was sealed.
type UnitError struct{ Got, Want string }

func (e *UnitError) Error() string {
	return fmt.Sprintf("%v: sealed to %s, this unit is %s", ErrWrongUnit, e.Got, e.Want)
}

// Is makes a *UnitError match ErrWrongUnit.
func (e *UnitError) Is(target error) bool { return target == ErrWrongUnit }

// Context is what an envelope is bound to besides its key: the unit it is
// for, the case or event id and the kind of payload. Open must be given
// the same, or the envelope does not open.
type Context struct {
	Unit string // the recipient care unit's HSA-ID (written in the envelope)
	ID   string // the case or event id (not written: bound through the AAD)
	Kind string // what the payload is, e.g. "case", "message" (likewise)
}

func (c Context) check() error {
	if err := hsaid.Check(c.Unit); err != nil {
		return fmt.Errorf("seal: the unit: %w", err)
	}
	if len(c.ID) == 0 || len(c.ID) > MaxContextLen || len(c.Kind) == 0 || len(c.Kind) > MaxContextLen {
		return fmt.Errorf("seal: the id and kind must be 1..%d bytes", MaxContextLen)
	}
	return nil
}

// header writes the envelope's bytes before the encapsulated key.
func header(unit string, id KeyID) []byte {
	h := make([]byte, 0, 8+len(unit)+KeyIDSize)
	h = append(h, Version)
	h = binary.BigEndian.AppendUint16(h, kem.ID())
	h = binary.BigEndian.AppendUint16(h, kdf.ID())
	h = binary.BigEndian.AppendUint16(h, aead.ID())
	h = append(h, byte(len(unit)))
	h = append(h, unit...)
	return append(h, id[:]...)
}

// additionalData is the AEAD's additional data: the header, then the
// context's id and kind, each after its length.
func additionalData(hdr []byte, c Context) []byte {
	ad := make([]byte, 0, len(hdr)+2+len(c.ID)+len(c.Kind))
	ad = append(ad, hdr...)
	ad = append(ad, byte(len(c.ID)))
	ad = append(ad, c.ID...)
	ad = append(ad, byte(len(c.Kind)))
	return append(ad, c.Kind...)
}

// Seal encrypts plaintext to pub for the unit, id and kind in c.
func Seal(pub *PublicKey, c Context, plaintext []byte) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("seal: %d bytes is more than an envelope holds (%d)", len(plaintext), MaxPlaintext)
	}
	enc, s, err := hpke.NewSender(pub.k, kdf, aead, info)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	hdr := header(c.Unit, pub.id)
	ct, err := s.Seal(additionalData(hdr, c), plaintext)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if len(enc) != EncSize {
		return nil, fmt.Errorf("seal: the KEM gave %d bytes of encapsulated key, not %d", len(enc), EncSize)
	}
	out := make([]byte, 0, len(hdr)+EncSize+4+len(ct))
	out = append(out, hdr...)
	out = append(out, enc...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(ct)))
	return append(out, ct...), nil
}

// Envelope is a decoded envelope: its fields as they stand, nothing
// opened or trusted yet.
type Envelope struct {
	Unit       string
	KeyID      KeyID
	Version    int     // Version, VersionEpoch or VersionEpochRef
	Enc        []byte  // EncSize bytes; nil in a version-3 envelope
	Epoch      EpochID // the epoch a version-3 envelope names
	Nonce      []byte  // NonceSize bytes in a version-2 or 3 envelope, else nil
	Ciphertext []byte
	header     []byte
}

// Decode reads an envelope strictly: the exact format of Version,
// VersionEpoch or VersionEpochRef, within MaxEnvelope, nothing after it. The slices point
// into b.
func Decode(b []byte) (*Envelope, error) {
	if len(b) > MaxEnvelope {
		return nil, fmt.Errorf("%w: %d bytes is more than an envelope may have (%d)", ErrMalformed, len(b), MaxEnvelope)
	}
	if len(b) < 8 {
		return nil, ErrTruncated
	}
	if b[0] != Version && b[0] != VersionEpoch && b[0] != VersionEpochRef {
		return nil, fmt.Errorf("%w: version %d, this clinicgw reads versions %d to %d", ErrMalformed, b[0], Version, VersionEpochRef)
	}
	// after the key id: the encapsulated key (versions 1 and 2), the
	// epoch id (3), the nonce (2 and 3), then the length
	enc, epoch, nonce := EncSize, 0, 0
	switch b[0] {
	case VersionEpoch:
		nonce = NonceSize
	case VersionEpochRef:
		enc, epoch, nonce = 0, EpochIDSize, NonceSize
	}
	if binary.BigEndian.Uint16(b[1:]) != kem.ID() || binary.BigEndian.Uint16(b[3:]) != kdf.ID() || binary.BigEndian.Uint16(b[5:]) != aead.ID() {
		return nil, fmt.Errorf("%w: not the suite %s", ErrMalformed, SuiteName)
	}
	n := int(b[7])
	if n == 0 || n > hsaid.MaxLen {
		return nil, fmt.Errorf("%w: a unit of %d bytes", ErrMalformed, n)
	}
	if len(b) < 8+n+KeyIDSize+enc+epoch+nonce+4 {
		return nil, ErrTruncated
	}
	e := &Envelope{Version: int(b[0]), Unit: string(b[8 : 8+n])}
	if !hsaid.Valid(e.Unit) {
		return nil, fmt.Errorf("%w: the unit is not an HSA-ID", ErrMalformed)
	}
	p := 8 + n
	copy(e.KeyID[:], b[p:])
	p += KeyIDSize
	if enc > 0 {
		e.header = b[:p]
		e.Enc = b[p : p+EncSize]
		p += EncSize
	} else {
		copy(e.Epoch[:], b[p:])
		p += EpochIDSize
		e.header = b[:p]
	}
	if nonce > 0 {
		e.Nonce = b[p : p+NonceSize]
		p += NonceSize
	}
	c := binary.BigEndian.Uint32(b[p:])
	p += 4
	if c < tagSize || c > MaxPlaintext+tagSize {
		return nil, fmt.Errorf("%w: a ciphertext of %d bytes", ErrMalformed, c)
	}
	switch rest := len(b) - p; {
	case rest < int(c):
		return nil, ErrTruncated
	case rest > int(c):
		return nil, fmt.Errorf("%w: %d bytes after the ciphertext", ErrMalformed, rest-int(c))
	}
	e.Ciphertext = b[p:]
	return e, nil
}

// Opener opens envelopes sealed to one unit's keys. Make it with
// NewOpener; it is safe for concurrent use once made.
type Opener struct {
	mu      sync.Mutex
	epochs  map[epochID]*hpke.Recipient // opened epochs (VersionEpoch), in memory only
	refs    map[EpochID]cipher.AEAD     // epochs given (VersionEpochRef, AddEpoch), likewise
	unit    string
	keys    map[KeyID]*PrivateKey
	retired map[KeyID]bool
}

// NewOpener returns an opener for unit holding keys; retired are the ids
// of the unit's keys whose private halves are destroyed (so that an
// envelope sealed to one is told apart from one sealed to a stranger).
func NewOpener(unit string, keys []*PrivateKey, retired []KeyID) *Opener {
	o := &Opener{epochs: map[epochID]*hpke.Recipient{}, refs: map[EpochID]cipher.AEAD{}, unit: unit, keys: make(map[KeyID]*PrivateKey, len(keys)), retired: make(map[KeyID]bool, len(retired))}
	for _, k := range keys {
		o.keys[k.ID()] = k
	}
	for _, id := range retired {
		if o.keys[id] == nil {
			o.retired[id] = true
		}
	}
	return o
}

// Open decodes env and opens it for c: c.Unit must be the opener's unit
// and the envelope's, and c.ID and c.Kind those it was sealed for.
func (o *Opener) Open(c Context, env []byte) ([]byte, error) {
	if c.Unit != o.unit {
		return nil, fmt.Errorf("open: the context names unit %s, the opener is for %s", c.Unit, o.unit)
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	e, err := Decode(env)
	if err != nil {
		return nil, err
	}
	if e.Unit != o.unit {
		return nil, &UnitError{Got: e.Unit, Want: o.unit}
	}
	k := o.keys[e.KeyID]
	if k == nil {
		return nil, &KeyError{KeyID: e.KeyID, Retired: o.retired[e.KeyID]}
	}
	switch e.Version {
	case VersionEpoch:
		return o.openEpoch(k, e, c)
	case VersionEpochRef:
		return o.openRef(e, c)
	}
	r, err := hpke.NewRecipient(e.Enc, k.k, kdf, aead, info)
	if err != nil {
		return nil, ErrAltered
	}
	pt, err := r.Open(additionalData(e.header, c), e.Ciphertext)
	if err != nil {
		return nil, ErrAltered
	}
	return pt, nil
}

// Unit returns the unit the opener opens for.
func (o *Opener) Unit() string { return o.unit }
