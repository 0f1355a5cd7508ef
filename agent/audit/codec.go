package audit

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Format bytes: the first byte of every encoding says its layout.
const (
	recordV1 byte = 1
	headV1   byte = 1
)

// Outcome codes in the binary format.
const (
	outcomeAllowed byte = 1
	outcomeDenied  byte = 2
)

const (
	hashLen      = len(Hash{})
	headLen      = 1 + 8 + hashLen
	recordMinLen = 1 + 8 + hashLen + 8 + 1 + 5*2 + hashLen
)

// Decoding errors; match with errors.Is. A record whose bytes decode but
// whose hash is wrong is reported as a *HashMismatchError instead.
var (
	ErrMalformed      = errors.New("malformed audit data")
	ErrUnknownVersion = errors.New("unknown audit data format version")
)

// HashMismatchError reports a record whose stored Hash is not the hash of
// its contents: it was altered or damaged. Match with errors.As.
type HashMismatchError struct {
	Seq uint64 // the sequence number the record claims
}

func (e *HashMismatchError) Error() string {
	return "audit: record " + strconv.FormatUint(e.Seq, 10) + ": stored hash does not match its contents"
}

// String returns h in hexadecimal.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalBinary encodes r in format 1:
//
//	1 byte   format (1)
//	8 bytes  Seq, big-endian
//	32 bytes Prev
//	8 bytes  Time as UnixNano, int64 big-endian
//	1 byte   Outcome (1 = Allowed, 2 = Denied)
//	Actor, Unit, Action, CaseID, Patient: each a 2-byte big-endian length and the UTF-8 bytes
//	32 bytes Hash
//
// It refuses a record with Seq 0, an entry that fails Validate, or a Hash
// that is not r.ComputeHash() (a *HashMismatchError): what is written can
// always be read back.
func (r Record) MarshalBinary() ([]byte, error) {
	return r.AppendBinary(nil)
}

// AppendBinary appends the encoding of r (see MarshalBinary) to b.
func (r Record) AppendBinary(b []byte) ([]byte, error) {
	if r.Seq == 0 {
		return b, errors.New("audit: encode record: sequence number 0")
	}
	if err := r.Entry.Validate(); err != nil {
		return b, fmt.Errorf("audit: encode record %d: %w", r.Seq, err)
	}
	if r.Hash != r.ComputeHash() {
		return b, &HashMismatchError{Seq: r.Seq}
	}
	return appendRecord(b, r), nil
}

// appendRecord encodes r without checking it.
func appendRecord(b []byte, r Record) []byte {
	e := r.Entry
	b = append(b, recordV1)
	b = binary.BigEndian.AppendUint64(b, r.Seq)
	b = append(b, r.Prev[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixNano()))
	switch e.Outcome {
	case Allowed:
		b = append(b, outcomeAllowed)
	case Denied:
		b = append(b, outcomeDenied)
	default:
		b = append(b, 0)
	}
	for _, s := range [...]string{e.Actor, e.Unit, e.Action, e.CaseID, e.Patient} {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	return append(b, r.Hash[:]...)
}

// UnmarshalBinary decodes a record encoded by MarshalBinary. It is strict:
// an unknown format byte (ErrUnknownVersion), a short or long input, an
// oversize field, an invalid entry or Seq 0 (ErrMalformed), or a Hash that
// does not match the contents (*HashMismatchError) is an error, and r is
// left unchanged.
func (r *Record) UnmarshalBinary(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("audit: decode record: empty: %w", ErrMalformed)
	}
	if b[0] != recordV1 {
		return fmt.Errorf("audit: decode record: format %d: %w", b[0], ErrUnknownVersion)
	}
	if len(b) < recordMinLen {
		return fmt.Errorf("audit: decode record: %d bytes, too short: %w", len(b), ErrMalformed)
	}
	d := decoder{b: b[1:]}
	var rec Record
	rec.Seq = d.uint64()
	rec.Prev = d.hash()
	rec.Entry.Time = time.Unix(0, int64(d.uint64())).UTC()
	switch o := d.byte(); o {
	case outcomeAllowed:
		rec.Entry.Outcome = Allowed
	case outcomeDenied:
		rec.Entry.Outcome = Denied
	default:
		return fmt.Errorf("audit: decode record: outcome code %d: %w", o, ErrMalformed)
	}
	for _, f := range [...]struct {
		name string
		dst  *string
	}{
		{"actor", &rec.Entry.Actor},
		{"unit", &rec.Entry.Unit},
		{"action", &rec.Entry.Action},
		{"caseID", &rec.Entry.CaseID},
		{"patient", &rec.Entry.Patient},
	} {
		s, err := d.string()
		if err != nil {
			return fmt.Errorf("audit: decode record: %s: %w", f.name, err)
		}
		*f.dst = s
	}
	rec.Hash = d.hash()
	if d.err != nil {
		return fmt.Errorf("audit: decode record: %w", d.err)
	}
	if len(d.b) != 0 {
		return fmt.Errorf("audit: decode record: %d trailing bytes: %w", len(d.b), ErrMalformed)
	}
	if rec.Seq == 0 {
		return fmt.Errorf("audit: decode record: sequence number 0: %w", ErrMalformed)
	}
	if err := rec.Entry.Validate(); err != nil {
		return fmt.Errorf("audit: decode record %d: %w (%w)", rec.Seq, err, ErrMalformed)
	}
	if rec.Hash != rec.ComputeHash() {
		return &HashMismatchError{Seq: rec.Seq}
	}
	*r = rec
	return nil
}

// MarshalBinary encodes h in format 1, 41 bytes: the format byte (1),
// Seq (8 bytes big-endian) and Hash (32 bytes).
func (h Head) MarshalBinary() ([]byte, error) {
	return h.AppendBinary(make([]byte, 0, headLen))
}

// AppendBinary appends the encoding of h (see MarshalBinary) to b.
func (h Head) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, headV1)
	b = binary.BigEndian.AppendUint64(b, h.Seq)
	return append(b, h.Hash[:]...), nil
}

// UnmarshalBinary decodes a head encoded by MarshalBinary; any other length
// or format byte is an error, and h is left unchanged.
func (h *Head) UnmarshalBinary(b []byte) error {
	if len(b) > 0 && b[0] != headV1 {
		return fmt.Errorf("audit: decode head: format %d: %w", b[0], ErrUnknownVersion)
	}
	if len(b) != headLen {
		return fmt.Errorf("audit: decode head: %d bytes, want %d: %w", len(b), headLen, ErrMalformed)
	}
	d := decoder{b: b[1:]}
	*h = Head{Seq: d.uint64(), Hash: d.hash()}
	return nil
}

// decoder reads big-endian fields; after the first short read it returns
// zero values and keeps err.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.err = fmt.Errorf("truncated: %w", ErrMalformed)
		d.b = nil
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) byte() byte {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) uint64() uint64 {
	if p := d.take(8); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

func (d *decoder) hash() (h Hash) {
	copy(h[:], d.take(hashLen))
	return h
}

// string reads a 2-byte length and that many bytes, at most MaxFieldLen.
func (d *decoder) string() (string, error) {
	p := d.take(2)
	if p == nil {
		return "", d.err
	}
	n := int(binary.BigEndian.Uint16(p))
	if n > MaxFieldLen {
		d.err = fmt.Errorf("%d bytes, more than %d: %w", n, MaxFieldLen, ErrMalformed)
		return "", d.err
	}
	return string(d.take(n)), d.err
}
