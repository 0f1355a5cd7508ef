package central

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// At rest (issue 22, item 3): every value in the store's file that holds
// something the patient pages show back to a patient (a case's title,
// patient, guardian, answers, text and thread; a booking request and a
// booking; a reminder choice) is sealed under that patient's data key
// (keyring.go) with AES-256-GCM, its additional data naming where it lives
// (its bucket and key) and its owner, so that a value moved elsewhere does
// not open. A sealed value is
//
//	0x01 ‖ len(owner) (1 byte) ‖ owner ‖ nonce (12) ‖ ciphertext and tag
//
// where owner is the keyed hash of the patient's personnummer (pnrKey),
// or ownerStore for what the unit's gateway gets back (its events and its
// confirmed items) and what names several people. A value that starts otherwise (JSON starts with '{') is from a
// file made before: read as it is, and sealed by the migration at Open
// (migrate.go). A value whose key was forgotten (ForgetPatient) or that
// does not open reads as errForgotten: the case, request or booking is
// left out of every page, and an answer to such a case is accepted and
// kept nowhere.

const atRestV1 = 0x01

// ownerStore owns the values the store keeps for the units, not for a
// patient: one data key of the store's in the same ring.
const ownerStore = "~store"

// errForgotten: the value's owner was forgotten, or the value does not
// open.
var errForgotten = errors.New("central: the value is sealed under a forgotten key")

func atRestAAD(where, owner string) []byte {
	return appendAtRestAAD(nil, []byte(where), []byte(owner))
}

// appendAtRestAAD appends the additional data of a value kept at where
// for owner to dst.
func appendAtRestAAD(dst, where, owner []byte) []byte {
	dst = append(dst, "clinicgw central at rest v1\x00"...)
	dst = append(append(dst, where...), 0)
	return append(dst, owner...)
}

// sealValue seals pt for owner at where, making owner's data key if it
// has none.
func (s *Store) sealValue(owner, where string, pt []byte) ([]byte, error) {
	if owner == "" || len(owner) > 255 {
		return nil, fmt.Errorf("seal %s: no owner", where)
	}
	k, err := s.ring.key(owner, true)
	if err != nil {
		return nil, err
	}
	aead, err := gcmOf(k)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 2+len(owner)+aead.NonceSize()+len(pt)+aead.Overhead())
	out = append(out, atRestV1, byte(len(owner)))
	out = append(out, owner...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, pt, atRestAAD(where, owner)), nil
}

// valueOwner returns the owner of a sealed value ("" when it is cut
// short); ok is false for a value from before (plaintext: JSON, which
// never starts with the version byte).
func valueOwner(v []byte) (owner string, ok bool) {
	o, ok := sealedOwner(v)
	return string(o), ok
}

// sealedOwner is valueOwner without a copy: the owner's bytes in v.
func sealedOwner(v []byte) (owner []byte, ok bool) {
	if len(v) == 0 || v[0] != atRestV1 {
		return nil, false
	}
	if len(v) < 2 || len(v) < 2+int(v[1]) {
		return nil, true
	}
	return v[2 : 2+int(v[1])], true
}

// openValue returns the plaintext of a value kept at where: a value from
// before as it is, a sealed one opened (errForgotten when it does not).
func (s *Store) openValue(where string, v []byte) ([]byte, error) {
	if _, ok := sealedOwner(v); !ok {
		return v, nil
	}
	o := s.opener()
	return o.appendOpen(nil, []byte(where), v)
}

// opener opens the values of one read: each owner's cipher is made once,
// and each value is opened onto the caller's buffer (an inbox page's).
type opener struct {
	s     *Store
	aeads map[string]cipher.AEAD
	aad   []byte
}

func (s *Store) opener() opener { return opener{s: s} }

// appendOpen appends to dst the plaintext of the value v kept at where: a
// value from before as it is, a sealed one opened (errForgotten when it
// does not).
func (o *opener) appendOpen(dst, where, v []byte) ([]byte, error) {
	owner, sealed := sealedOwner(v)
	if !sealed {
		return append(dst, v...), nil
	}
	if len(owner) == 0 {
		return dst, errForgotten
	}
	aead := o.aeads[string(owner)]
	if aead == nil {
		k, err := o.s.ring.key(string(owner), false)
		if errors.Is(err, errNoKey) {
			return dst, errForgotten
		}
		if err != nil {
			return dst, err
		}
		if aead, err = gcmOf(k); err != nil {
			return dst, err
		}
		if o.aeads == nil {
			o.aeads = make(map[string]cipher.AEAD, 1)
		}
		o.aeads[string(owner)] = aead
	}
	rest := v[2+len(owner):]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return dst, errForgotten
	}
	o.aad = appendAtRestAAD(o.aad[:0], where, owner)
	out, err := aead.Open(dst, rest[:aead.NonceSize()], rest[aead.NonceSize():], o.aad)
	if err != nil {
		// A key made again after the owner was forgotten does not open
		// what the forgotten one sealed; an altered value neither.
		return dst, errForgotten
	}
	return out, nil
}

// sealJSON marshals v and seals it for owner at where.
func (s *Store) sealJSON(owner, where string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return s.sealValue(owner, where, b)
}

// openJSON opens the value kept at where into out (errForgotten when it
// does not open).
func (s *Store) openJSON(where string, v []byte, out any) error {
	pt, err := s.openValue(where, v)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(pt, out); err != nil {
		return fmt.Errorf("read %s: %w", where, err)
	}
	return nil
}

func gcmOf(k []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// casePrivate is the part of a case record sealed under its patient's
// key: all the patient pages show back but the routing.
type casePrivate struct {
	Title    string          `json:"title"`
	Patient  wire.Person     `json:"patient"`
	Guardian *wire.Person    `json:"guardian,omitempty"`
	Fields   []wire.Field    `json:"fields,omitempty"`
	Text     string          `json:"text,omitempty"`
	Messages []messageRecord `json:"messages,omitempty"`
}

func caseWhere(id string) string { return bucketCases + "/" + id }

// getCase reads a case in tx; nil if there is none. A case whose
// patient was forgotten has its routing only and forgotten set.
func (s *Store) getCase(tx *bolt.Tx, id string) (*caseRecord, error) {
	c, err := getCase(tx, id)
	if err != nil || c == nil || c.Private == nil {
		return c, err
	}
	var p casePrivate
	switch err := s.openJSON(caseWhere(id), c.Private, &p); {
	case errors.Is(err, errForgotten):
		c.forgotten = true
	case err != nil:
		return nil, err
	default:
		c.Title, c.Patient, c.Guardian, c.Fields, c.Text, c.Messages = p.Title, p.Patient, p.Guardian, p.Fields, p.Text, p.Messages
	}
	c.Private = nil
	return c, nil
}

// putCase writes a case in tx, its private part sealed under the key of
// its patient (the owner it has, or the one its personnummer names).
func (s *Store) putCase(tx *bolt.Tx, c *caseRecord) error {
	if c.forgotten {
		return fmt.Errorf("write case %s: its patient was forgotten", c.ID)
	}
	owner := c.Owner
	if owner == "" && c.Patient.PNR != "" {
		owner = s.pnrKey(c.Patient.PNR)
	}
	if owner == "" { // sealed to the unit before item 3: the index names the patient
		owner = ownerInIndex(tx, c.ID)
	}
	if owner == "" {
		return fmt.Errorf("write case %s: no patient to seal it for", c.ID)
	}
	priv, err := s.sealJSON(owner, caseWhere(c.ID), casePrivate{Title: c.Title, Patient: c.Patient,
		Guardian: c.Guardian, Fields: c.Fields, Text: c.Text, Messages: c.Messages})
	if err != nil {
		return fmt.Errorf("write case %s: %w", c.ID, err)
	}
	stored := *c
	stored.Owner, stored.Private = owner, priv
	stored.Title, stored.Patient, stored.Guardian, stored.Fields, stored.Text, stored.Messages = "", wire.Person{}, nil, nil, "", nil
	return putCase(tx, &stored)
}

// ownerInIndex finds the patient of a case in the patient index by its
// keyed hash (a scan: only for a case sealed to its unit before its
// patient copy was kept).
func ownerInIndex(tx *bolt.Tx, caseID string) string {
	c := tx.Bucket([]byte(bucketPatients)).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if string(v) == rolePatient && len(k) > len(caseID) && string(k[len(k)-len(caseID):]) == caseID && k[0] == '#' {
			return string(k[:len(k)-len(caseID)])
		}
	}
	return ""
}

// confirmedWhere names a confirmed item at rest (sealed under ownerStore).
func confirmedWhere(seqKey []byte) string { return fmt.Sprintf("%s/%x", bucketConfirmed, seqKey) }

// reminderWhere names a patient's reminder choice at rest.
func reminderWhere(pnrKey string) string { return bucketReminders + "/" + pnrKey }

// bookingReqWhere and bookedWhere name a booking request and a booking at
// rest (sealed under the patient's key).
func bookingReqWhere(id []byte) string { return bucketBookingReqs + "/" + string(id) }
func bookedWhere(timeID []byte) string { return bucketBookings + "/" + string(timeID) }

// eventWhere names a unit's event at rest (sealed under ownerStore: the
// gateway fetches it whoever its patient is, so forgetting a patient
// leaves it; with the unit's sealing on, it is sealed to the unit inside).
func eventWhere(unit string, seqKey []byte) string {
	return string(appendEventWhere(nil, unit, seqKey))
}

// appendEventWhere appends eventWhere(unit, seqKey) to dst.
func appendEventWhere(dst []byte, unit string, seqKey []byte) []byte {
	dst = append(append(append(dst, bucketEvents...), '/'), unit...)
	return hex.AppendEncode(append(dst, '/'), seqKey)
}
