package wire

import (
	"bytes"
	"encoding/base64"
)

// Sealed booking requests (issue 22). For a unit that switched sealing on
// (PUT PathSealing2), the central store seals each booking request's
// personal parts — the patient's personnummer and the reminder choice
// with the mobile number and e-mail address — to the unit's current key
// when it serves GET PathBookingRequests2: BookingRequest.Sealed holds
// the envelope (sync/seal, bound to the unit, the request's id and its
// kind: seal.BookingContext) of BookingPersonal's canonical JSON, and
// Patient and Reminder are absent. The rest (id, kind, the published
// time ids, when) stays in the clear: it names no one. The gateway opens
// the envelope before it decides; BookingPersonal repeats the time ids so
// that an envelope moved to another request's times does not open to a
// decision (OpenedBookingRequest). A request that does not open is
// declined with BookingUnreadable, never decided on its clear members.
//
// Versions: a central store of the previous release sends plain requests;
// so does this release for a unit with sealing off. A gateway of the
// previous release never switches sealing on, so never gets a sealed
// request. Once the central store confirmed sealing, the gateway declines
// a plain request with BookingNotSealed (no downgrade).

// Decline codes of requests the gateway cannot decide on (sent in
// BookingDecision.Reason).
const (
	BookingUnreadable = "unreadable" // sealed, and does not open
	BookingNotSealed  = "notSealed"  // plain where the central store confirmed sealing
)

// BookingPersonal is the plaintext of BookingRequest.Sealed.
type BookingPersonal struct {
	// Patient is the patient's personnummer.
	Patient string `json:"patient"`
	// Reminder is the reminder choice; null none.
	Reminder *BookingReminder `json:"reminder"`
	// Time repeats the request's clear member.
	Time string `json:"time"`
	// From repeats the request's clear member.
	From string `json:"from"`
}

// checkPersonal checks Patient, Reminder and Sealed: either the plain
// members or the envelope, not both.
func (r BookingRequest) checkPersonal(p string) error {
	if r.Sealed == "" {
		if err := checkPNR(member(p, "patient"), r.Patient); err != nil {
			return err
		}
		return r.Reminder.check(member(p, "reminder"), r.Kind)
	}
	if r.Patient != "" || r.Reminder != nil {
		return fail(member(p, "sealed"), "must not come with patient or reminder")
	}
	if len(r.Sealed) > MaxSealedBookingLen {
		return failf(member(p, "sealed"), "must be at most %d characters", MaxSealedBookingLen)
	}
	if !isSealedB64(r.Sealed) {
		return fail(member(p, "sealed"), "must be padded base64 (RFC 4648 section 4)")
	}
	return nil
}

// MaxSealedBookingLen bounds BookingRequest.Sealed, in base64 characters.
const MaxSealedBookingLen = 4096

// SealedBytes returns the request's envelope; false if it is not strict
// base64 or empty.
func (r BookingRequest) SealedBytes() ([]byte, bool) {
	return sealedB64(r.Sealed)
}

// SealedBookingContent returns the plaintext to seal for a valid plain
// request: BookingPersonal's canonical JSON.
func SealedBookingContent(r BookingRequest) ([]byte, error) {
	if r.Sealed != "" {
		return nil, invalid(fail("sealed", "is sealed already"))
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return encode(BookingPersonal{Patient: r.Patient, Reminder: r.Reminder, Time: r.Time, From: r.From})
}

// SealBookingRequest returns r with Patient and Reminder replaced by env,
// the envelope of SealedBookingContent(r).
func SealBookingRequest(r BookingRequest, env []byte) BookingRequest {
	r.Patient, r.Reminder, r.Sealed = "", nil, base64.StdEncoding.EncodeToString(env)
	return r
}

// OpenedBookingRequest reads the plaintext of a sealed request strictly
// and returns the plain request: valid, with the time ids the clear
// members name; anything else is refused (a 400 Problem).
func OpenedBookingRequest(sealed BookingRequest, plaintext []byte) (BookingRequest, error) {
	var bp BookingPersonal
	if err := DecodeJSON(bytes.NewReader(plaintext), MaxSealedBookingLen, &bp); err != nil {
		return BookingRequest{}, err
	}
	if bp.Time != sealed.Time || bp.From != sealed.From {
		return BookingRequest{}, invalid(fail("sealed", "opens to another request's times than the clear members name"))
	}
	r := sealed
	r.Patient, r.Reminder, r.Sealed = bp.Patient, bp.Reminder, ""
	if err := r.Validate(); err != nil {
		return BookingRequest{}, err
	}
	return r, nil
}
