package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hpke"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"time"

	"clinicgw/sync/wire"
)

// VersionEpoch is the envelope version sealed under an epoch (see the
// package doc, Epochs): one encapsulation per epoch, one AEAD per payload.
const VersionEpoch = 2

// NonceSize is the AES-256-GCM nonce of a version-2 envelope.
const NonceSize = 12

// epochExporter labels the exporter secret a payload's key is derived from.
const epochExporter = "clinicgw seal v2 payload"

// payloadKey derives the AES-256 key of one payload from an epoch's HPKE
// context: the exporter over the label and the payload's id and kind,
// each after its length, so that two payloads of an epoch never share a
// key unless they share id and kind.
func payloadKey(export func(string, int) ([]byte, error), c Context) ([]byte, error) {
	ctx := make([]byte, 0, len(epochExporter)+2+len(c.ID)+len(c.Kind))
	ctx = append(ctx, epochExporter...)
	ctx = append(ctx, byte(len(c.ID)))
	ctx = append(ctx, c.ID...)
	ctx = append(ctx, byte(len(c.Kind)))
	ctx = append(ctx, c.Kind...)
	return export(string(ctx), 32)
}

func gcm(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// headerV2 writes a version-2 envelope's bytes before the encapsulated key.
func headerV2(unit string, id KeyID) []byte {
	h := header(unit, id)
	h[0] = VersionEpoch
	return h
}

// epoch is one encapsulation to one unit's key.
type epoch struct {
	unit    string
	pub     *PublicKey
	enc     []byte
	sender  *hpke.Sender
	started time.Time
	sealed  int
	// version 3 (SealRef): the epoch's record, its id and its AEAD,
	// made at its first version-3 payload
	rec   EpochRecord
	refID EpochID
	ref   cipher.AEAD
}

// Epochs seals payloads to units' keys, one encapsulation per (unit, key)
// and epoch. An epoch ends after MaxPayloads payloads, MaxAge of its
// clock, or when the unit's key changes. The epochs' secrets are in
// memory only: a restart begins new epochs. Safe for concurrent use.
type Epochs struct {
	MaxPayloads int
	MaxAge      time.Duration
	now         func() time.Time
	random      io.Reader
	mu          sync.Mutex
	open        map[string]*epoch // by unit
}

// Default bounds of an epoch.
const (
	DefaultEpochPayloads = 10000
	DefaultEpochAge      = 24 * time.Hour
)

// NewEpochs returns a sealer of epochs with the default bounds; now is the
// clock, random the source of nonces (crypto/rand in production).
func NewEpochs(now func() time.Time, random io.Reader) *Epochs {
	return &Epochs{MaxPayloads: DefaultEpochPayloads, MaxAge: DefaultEpochAge, now: now, random: random, open: map[string]*epoch{}}
}

// current returns the open epoch for c.Unit and pub, beginning a new one
// when there is none or it is spent. Called with e.mu held.
func (e *Epochs) current(pub *PublicKey, unit string) (*epoch, error) {
	now := e.now()
	ep := e.open[unit]
	if ep != nil && ep.pub.id == pub.id && ep.sealed < e.MaxPayloads && now.Sub(ep.started) < e.MaxAge && !now.Before(ep.started) {
		return ep, nil
	}
	enc, s, err := hpke.NewSender(pub.k, kdf, aead, info)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if len(enc) != EncSize {
		return nil, fmt.Errorf("seal: the KEM gave %d bytes of encapsulated key, not %d", len(enc), EncSize)
	}
	ep = &epoch{unit: unit, pub: pub, enc: enc, sender: s, started: now}
	e.open[unit] = ep
	return ep, nil
}

// Seal encrypts plaintext to pub for the unit, id and kind in c, under the
// unit's current epoch: a version-2 envelope.
func (e *Epochs) Seal(pub *PublicKey, c Context, plaintext []byte) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("seal: %d bytes is more than an envelope holds (%d)", len(plaintext), MaxPlaintext)
	}
	e.mu.Lock()
	ep, err := e.current(pub, c.Unit)
	var key []byte
	if err == nil {
		ep.sealed++
		key, err = payloadKey(ep.sender.Export, c)
	}
	e.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	a, err := gcm(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	hdr := headerV2(c.Unit, pub.id)
	out := make([]byte, 0, len(hdr)+EncSize+NonceSize+4+len(plaintext)+tagSize)
	out = append(out, hdr...)
	out = append(out, ep.enc...)
	nonce := out[len(out) : len(out)+NonceSize]
	if _, err := io.ReadFull(e.random, nonce); err != nil {
		return nil, fmt.Errorf("seal: the nonce: %w", err)
	}
	out = out[:len(out)+NonceSize]
	out = binary.BigEndian.AppendUint32(out, uint32(len(plaintext)+tagSize))
	return a.Seal(out, nonce, plaintext, additionalData(hdr, c)), nil
}

// maxOpenEpochs bounds an Opener's cache of opened epochs; when full it is
// emptied (a few KEM operations more, never a refusal).
const maxOpenEpochs = 256

// epochID names an opened epoch in the cache: the key id and the
// encapsulated key itself (a lookup with string(e.Enc) neither copies nor
// hashes it with SHA-256, as an earlier cache key did, per payload).
type epochID struct {
	key KeyID
	enc string
}

// openEpoch opens a version-2 envelope whose key k holds: the epoch's
// context from the cache, or one decapsulation (cached only once a payload
// opened with it, so altered encapsulations do not fill the cache).
func (o *Opener) openEpoch(k *PrivateKey, e *Envelope, c Context) ([]byte, error) {
	o.mu.Lock()
	r := o.epochs[epochID{e.KeyID, string(e.Enc)}]
	o.mu.Unlock()
	fresh := r == nil
	if fresh {
		var err error
		if r, err = hpke.NewRecipient(e.Enc, k.k, kdf, aead, info); err != nil {
			return nil, ErrAltered
		}
	}
	o.mu.Lock()
	key, err := payloadKey(r.Export, c)
	o.mu.Unlock()
	if err != nil {
		return nil, ErrAltered
	}
	a, err := gcm(key)
	if err != nil {
		return nil, ErrAltered
	}
	pt, err := a.Open(nil, e.Nonce, e.Ciphertext, additionalData(e.header, c))
	if err != nil {
		return nil, ErrAltered
	}
	if fresh {
		o.mu.Lock()
		if len(o.epochs) >= maxOpenEpochs {
			clear(o.epochs)
		}
		o.epochs[epochID{e.KeyID, string(e.Enc)}] = r
		o.mu.Unlock()
	}
	return pt, nil
}

// EventContext is what a sync event's envelope is bound to: the unit, the
// event's id, and its kind with its case id (wire.Event.Sealed), so that
// it opens for no other unit, event, kind or case.
func EventContext(unit string, ev wire.Event) Context {
	return Context{Unit: unit, ID: ev.ID, Kind: string(ev.Kind) + " " + ev.CaseID}
}
