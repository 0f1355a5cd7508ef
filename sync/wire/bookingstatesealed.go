package wire

import (
	"bytes"
	"encoding/base64"
	"io"
)

// Sealed bookings state (issue 22). With central.sealing on, the gateway
// puts the unit's bookings (BookingBookings: every coming booking with
// its patient's personnummer) to PathBookingBookingsSealed2 instead of
// PathBookingBookings2, sealed to the central store's verified key (as
// the outbox, sealedout.go): the canonical JSON of the BookingBookings,
// cut into parts of at most SealedBookingsPartLen bytes, each part sealed
// bound to the unit, its place and the number of parts
// (seal.BookingBookingsContext), so that a part dropped, repeated or
// moved does not open. The central store opens every part at receipt and
// applies the whole exactly as a plain PUT; a body that does not open is
// refused (400) and changes nothing.
//
// Versions: a central store of the previous release answers 404; the
// gateway then puts plain to PathBookingBookings2 — unless it has sealed
// to a verified central key before (the outbound mark, shared with the
// outbox): then the bookings wait.

// PathBookingBookingsSealed2 is PUT SealedBookingBookings → 204.
const PathBookingBookingsSealed2 = "/" + Version2 + "/booking/bookings-sealed"

// Limits of SealedBookingBookings.
const (
	SealedBookingsPartLen  = 1 << 20 // plaintext bytes in one part
	MaxSealedBookingsParts = 6       // 6 MiB of plaintext: within MaxBodyBytes as base64
	// MaxSealedBookingsPart bounds one part, in base64 characters.
	MaxSealedBookingsPart = (SealedBookingsPartLen + 4<<10) / 3 * 4
)

// SealedBookingBookings is the body of PUT PathBookingBookingsSealed2.
type SealedBookingBookings struct {
	// Parts are the envelopes (sync/seal) of the BookingBookings' parts,
	// in order, each in padded base64; 1 to MaxSealedBookingsParts.
	Parts []string `json:"parts"`
}

// Validate checks the form of a sealed bookings body.
func (s SealedBookingBookings) Validate() error { return invalid(s.check()) }

func (s SealedBookingBookings) check() error {
	if len(s.Parts) == 0 || len(s.Parts) > MaxSealedBookingsParts {
		return failf("parts", "must hold 1 to %d parts", MaxSealedBookingsParts)
	}
	for i, p := range s.Parts {
		if len(p) > MaxSealedBookingsPart {
			return failf(index("parts", i), "must be at most %d characters", MaxSealedBookingsPart)
		}
		if !isSealedB64(p) {
			return fail(index("parts", i), "must be padded base64 (RFC 4648 section 4)")
		}
	}
	return nil
}

// PartBytes returns the envelopes of a valid body.
func (s SealedBookingBookings) PartBytes() ([][]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	out := make([][]byte, len(s.Parts))
	for i, p := range s.Parts {
		out[i], _ = base64.StdEncoding.Strict().DecodeString(p)
	}
	return out, nil
}

// BookingBookingsParts returns the plaintexts to seal for bb: its
// canonical JSON, validated, cut into parts.
func BookingBookingsParts(bb BookingBookings) ([][]byte, error) {
	if err := bb.Validate(); err != nil {
		return nil, err
	}
	b, err := encode(bb)
	if err != nil {
		return nil, err
	}
	var parts [][]byte
	for len(b) > 0 {
		n := min(len(b), SealedBookingsPartLen)
		parts = append(parts, b[:n])
		b = b[n:]
	}
	if len(parts) > MaxSealedBookingsParts {
		return nil, invalid(failf("bookings", "are more than %d parts of %d bytes", MaxSealedBookingsParts, SealedBookingsPartLen))
	}
	return parts, nil
}

// OpenedBookingBookings reads the opened parts, in order, strictly as a
// valid BookingBookings.
func OpenedBookingBookings(parts [][]byte) (BookingBookings, error) {
	var bb BookingBookings
	if err := DecodeJSON(bytes.NewReader(bytes.Join(parts, nil)), MaxBodyBytes, &bb); err != nil {
		return BookingBookings{}, err
	}
	if err := bb.Validate(); err != nil {
		return BookingBookings{}, err
	}
	return bb, nil
}

// DecodeSealedBookingBookings reads a SealedBookingBookings (the server,
// from PUT PathBookingBookingsSealed2) within MaxBodyBytes and validates
// its form.
func DecodeSealedBookingBookings(r io.Reader) (SealedBookingBookings, error) {
	return decodeBody[SealedBookingBookings](r)
}
