package caseid

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// idAlphabet is Crockford's base32 in lower case: no i, l, o or u. Its
// characters are in ASCII order, so ids compare as strings as they do as
// numbers.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// Len is the length of an ID: 128 bits in 5-bit characters, the first
// character carrying only the top 3 bits (so it is at most '7').
const Len = 26

// maxIDMillis is one past the largest time an ID can carry: 48 bits of
// Unix milliseconds, until the year 10889.
const maxIDMillis = 1 << 48

// ErrMalformed is wrapped by Parse's errors.
var ErrMalformed = errors.New("malformed case id")

// idDecode maps an ASCII byte to its 5-bit value, or 0xff if it is not in
// idAlphabet.
var idDecode = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(idAlphabet); i++ {
		t[idAlphabet[i]] = byte(i)
	}
	return t
}()

// New returns a new case id: 48 bits of now as Unix milliseconds,
// big-endian, then 80 bits read from random, written as 26 characters of
// lower-case Crockford base32. Ids made in different milliseconds sort as
// strings in time order; within one millisecond their order is random.
// A nil random means crypto/rand.Reader. It fails if random fails or now
// is before 1970 or after the year 10889.
func New(now time.Time, random io.Reader) (ID, error) {
	ms := now.UnixMilli()
	if ms < 0 || ms >= maxIDMillis {
		return "", fmt.Errorf("new case id: time %s out of range", now.UTC().Format(time.RFC3339))
	}
	if random == nil {
		random = rand.Reader
	}
	var r [10]byte
	if _, err := io.ReadFull(random, r[:]); err != nil {
		return "", fmt.Errorf("new case id: read random bits: %w", err)
	}
	return encodeID(idBits(ms, r)), nil
}

// NewFrom is New with the 80 random bits given: the id New makes when
// random reads them.
func NewFrom(now time.Time, random [10]byte) (ID, error) {
	ms := now.UnixMilli()
	if ms < 0 || ms >= maxIDMillis {
		return "", fmt.Errorf("new case id: time %s out of range", now.UTC().Format(time.RFC3339))
	}
	return encodeID(idBits(ms, random)), nil
}

// idBits is an id's 128 bits: ms, then random.
func idBits(ms int64, random [10]byte) (b [16]byte) {
	binary.BigEndian.PutUint64(b[0:8], uint64(ms)<<16)
	copy(b[6:], random[:])
	return b
}

// encodeID writes 128 bits as 26 base32 characters, most significant
// first, after two zero pad bits.
func encodeID(b [16]byte) ID {
	hi := binary.BigEndian.Uint64(b[0:8])
	lo := binary.BigEndian.Uint64(b[8:16])
	var s [Len]byte
	// The last 25 characters hold 125 bits; the first holds the top 3.
	for i := Len - 1; i >= 0; i-- {
		s[i] = idAlphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return ID(s[:])
}

// decodeID is the inverse of encodeID. It accepts only what encodeID
// writes: 26 characters of the lower-case alphabet, the first at most '7'.
func decodeID(s string) ([16]byte, error) {
	var b [16]byte
	if len(s) != Len {
		return b, fmt.Errorf("%w: %d characters, want %d", ErrMalformed, len(s), Len)
	}
	var hi, lo uint64
	for i := 0; i < Len; i++ {
		v := idDecode[s[i]]
		if v == 0xff {
			return b, fmt.Errorf("%w: character %d is not lower-case Crockford base32", ErrMalformed, i+1)
		}
		if i == 0 && v > 7 {
			return b, fmt.Errorf("%w: first character is above 7", ErrMalformed)
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(v)
	}
	binary.BigEndian.PutUint64(b[0:8], hi)
	binary.BigEndian.PutUint64(b[8:16], lo)
	return b, nil
}

// Parse checks that s is a case id as New writes it: 26 characters of
// lower-case Crockford base32 whose first character is 0–7. Upper case and
// Crockford's look-alike letters (i, l, o) are refused, so an id has one
// spelling. Errors wrap ErrMalformed and do not repeat s.
func Parse(s string) (ID, error) {
	if _, err := decodeID(s); err != nil {
		return "", err
	}
	return ID(s), nil
}

// ID identifies a case: 26 characters, time-ordered, random, and carrying
// nothing about the patient.
type ID string

// Time returns the millisecond an id was made at, in UTC, or the zero Time
// if the id is malformed.
func (id ID) Time() time.Time {
	b, err := decodeID(string(id))
	if err != nil {
		return time.Time{}
	}
	ms := binary.BigEndian.Uint64(b[0:8]) >> 16
	return time.UnixMilli(int64(ms)).UTC()
}
