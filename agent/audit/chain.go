package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxFieldLen is the most bytes a text field of an Entry may hold.
const MaxFieldLen = 256

// Domain-separation prefixes: a hash of one kind can never be taken for
// a hash of another kind, nor for a hash made by another program.
const (
	genesisDomain = "clinicgw audit genesis v1\x00"
	recordDomain  = "clinicgw audit record v1\x00"
)

// The instants an Entry's time may take: those whose UnixNano fits an int64
// (about 1678 to 2262).
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// EntryError reports an Entry that must not be logged or was not logged
// by this package. It names the field and the rule, never the value, so it
// is safe to log (the value may be a personnummer).
type EntryError struct {
	Field  string // "actor", "unit", "action", "caseID", "patient", "outcome" or "time"
	Reason string
}

func (e *EntryError) Error() string {
	return "audit entry: " + e.Field + ": " + e.Reason
}

// Genesis returns the Prev of record 1 in the log of the care unit with
// the given HSA-ID: a log cannot be passed off as another unit's.
func Genesis(unit string) Hash {
	b := make([]byte, 0, len(genesisDomain)+8+len(unit))
	b = append(b, genesisDomain...)
	b = appendHashString(b, unit)
	return sha256.Sum256(b)
}

// ComputeHash returns the hash r.Hash must have: SHA-256 over a domain
// prefix, Seq, Prev and the canonical encoding of the entry. It reads every
// field as it is, so it is defined for invalid records too.
//
// The canonical encoding is, in order: Time as UnixNano (int64, big-endian),
// then Actor, Unit, Action, CaseID, Patient and Outcome, each as a 64-bit
// big-endian byte length followed by the bytes. Changing it changes every
// hash in every existing log: it is versioned by recordDomain.
func (r Record) ComputeHash() Hash {
	hashesComputed.Add(1)
	e := r.Entry
	n := len(recordDomain) + 8 + len(r.Prev) + 8 + 6*8 +
		len(e.Actor) + len(e.Unit) + len(e.Action) + len(e.CaseID) + len(e.Patient) + len(e.Outcome)
	// A record of the usual field lengths is hashed from the stack: Next
	// hashes on the one goroutine that applies a sync backlog, a record a
	// case (TestComputeHashAllocs).
	var stack [hashStackLen]byte
	b := stack[:0]
	if n > len(stack) {
		b = make([]byte, 0, n)
	}
	b = append(b, recordDomain...)
	b = binary.BigEndian.AppendUint64(b, r.Seq)
	b = append(b, r.Prev[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixNano()))
	for _, s := range [...]string{e.Actor, e.Unit, e.Action, e.CaseID, e.Patient, string(e.Outcome)} {
		b = appendHashString(b, s)
	}
	return sha256.Sum256(b)
}

// hashesComputed counts ComputeHash's hashes (TestSealedRecordHashedOnce).
var hashesComputed atomic.Uint64

// hashStackLen is the longest preimage ComputeHash builds on the stack:
// its fixed part and almost 400 bytes of fields (an HSA-ID, a unit, an
// action, a case id and a personnummer are under 100).
const hashStackLen = 512

func appendHashString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// ErrLogFull is returned by Next when the head is at the largest sequence
// number; it cannot happen in practice.
var ErrLogFull = errors.New("audit: log full: no sequence number left")

// Next returns the record that follows head for entry e, and the head after
// it. The entry's Time is normalised to UTC without monotonic reading.
//
// Next refuses an entry that fails Validate (the error wraps an
// *EntryError): an access that cannot be logged must not happen, so the
// caller aborts the transaction that carries it.
func Next(head Head, e Entry) (Record, Head, error) {
	if err := e.Validate(); err != nil {
		return Record{}, head, fmt.Errorf("audit: next record: %w", err)
	}
	if head.Seq == math.MaxUint64 {
		return Record{}, head, ErrLogFull
	}
	e.Time = canonicalTime(e.Time)
	r := Record{Seq: head.Seq + 1, Entry: e, Prev: head.Hash}
	r.Hash = r.ComputeHash()
	return r, r.Head(), nil
}

// Head returns the head of a log whose newest record is r.
func (r Record) Head() Head {
	return Head{Seq: r.Seq, Hash: r.Hash}
}

// canonicalTime is t as it comes back from the codec: UTC, no monotonic
// reading, nanoseconds since the Unix epoch.
func canonicalTime(t time.Time) time.Time {
	return time.Unix(0, t.UnixNano()).UTC()
}

// Validate reports whether e may be logged: Actor, Unit and Action are set;
// every text field is valid UTF-8 of at most MaxFieldLen bytes without
// control, format or line-separator characters (no forged log lines, ANSI
// escapes or bidi overrides); Outcome is Allowed or Denied; Time is set and
// representable as int64 nanoseconds since 1970. The error is an *EntryError.
func (e Entry) Validate() error {
	fields := [...]struct {
		name, value string
		required    bool
	}{
		{"actor", e.Actor, true},
		{"unit", e.Unit, true},
		{"action", e.Action, true},
		{"caseID", e.CaseID, false},
		{"patient", e.Patient, false},
	}
	for _, f := range fields {
		if reason := checkText(f.value, f.required); reason != "" {
			return &EntryError{Field: f.name, Reason: reason}
		}
	}
	if e.Outcome != Allowed && e.Outcome != Denied {
		return &EntryError{Field: "outcome", Reason: "neither allowed nor denied"}
	}
	if e.Time.IsZero() {
		return &EntryError{Field: "time", Reason: "not set"}
	}
	if e.Time.Before(minTime) || e.Time.After(maxTime) {
		return &EntryError{Field: "time", Reason: "outside 1678-2262"}
	}
	return nil
}

// runePasses counts checkText's passes over a text that decode UTF-8
// (TestCheckTextASCIIOnePass).
var runePasses atomic.Uint64

// checkText returns why s is not an acceptable text field, or "".
// Printable ASCII, nearly every field, is accepted in one pass that
// decodes nothing; any other text takes checkRunes, whose reasons come in
// its order (FuzzCheckText).
func checkText(s string, required bool) string {
	switch {
	case s == "" && required:
		return "empty"
	case len(s) > MaxFieldLen:
		return fmt.Sprintf("longer than %d bytes", MaxFieldLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return checkRunes(s)
		}
	}
	return ""
}

// checkRunes returns why s, of at most MaxFieldLen bytes, is not valid
// UTF-8 or holds a control, format or line-separator character, or "".
func checkRunes(s string) string {
	runePasses.Add(2)
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	for _, c := range s {
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return "contains a control or formatting character"
			}
			continue
		}
		if unicode.IsControl(c) || unicode.In(c, unicode.Cf, unicode.Zl, unicode.Zp) {
			return "contains a control or formatting character"
		}
	}
	return ""
}
