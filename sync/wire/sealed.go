package wire

import (
	"bytes"
	"io"
)

// Sealed events. When a unit switches sealing on (PUT PathSealing2, the
// gateway's central.sealing setting), the central store seals what a
// patient writes to the unit's published sealing key (package sync/seal)
// the moment the patient submits it, and its inbox carries each
// case.created and case.followup event of that unit with Event.Sealed in
// place of Event.Case and Event.Message: the base64 of a sealed envelope
// whose plaintext is the SealedContent JSON of the event's content. What
// routing needs stays in the clear: the event's seq, id, kind, case id
// and time. The envelope is bound to the unit, the event id, the kind and
// the case id (seal.EventContext), so it opens for no other event.
// case.withdrawn carries nothing to seal.
//
// Envelopes of version 3 name their epoch instead of carrying its
// encapsulated key (sealepoch.go).
//
// Versions: the member exists in protocol v2 and appears only for a unit
// whose gateway switched sealing on, which only a gateway of this release
// does; a central store of the previous release answers 404 to
// PathSealing2 and the gateway syncs plain, as before (Status says so). A
// unit switched off (or never on) gets plain events, as a previous
// gateway expects.

// PathSealing2 is the unit's sealing switch: PUT SealingSwitch → 200
// SealingState, GET → 200 SealingState.
const PathSealing2 = "/" + Version2 + "/sealing"

// MaxSealedLen bounds Event.Sealed, in base64 characters: an envelope of
// an event's content (within MaxEventBytes) with its overhead.
const MaxSealedLen = (MaxEventBytes + 4<<10) / 3 * 4

// SealingSwitch is the body of PUT PathSealing2.
type SealingSwitch struct {
	// Sealed: the central store seals the unit's new events from now on
	// (it must hold the unit's sealing key statement, else 409); false:
	// it stops.
	Sealed bool `json:"sealed"`
}

// Validate has nothing to check: both values are meaningful.
func (s SealingSwitch) Validate() error { return nil }

// SealingState is the answer of PathSealing2.
type SealingState struct {
	// Sealed says whether the central store seals the unit's new events.
	Sealed bool `json:"sealed"`
	// KeyID is the key it seals to (32 lower-case hex digits); empty when
	// not sealing.
	KeyID string `json:"keyId,omitempty"`
	// FromSeq is the seq of the unit's first event sealed since sealing
	// was last switched on (the next event's, if none yet); 0 when not
	// sealing. Events before it were written plain.
	FromSeq uint64 `json:"fromSeq,omitempty"`
}

// Validate checks a SealingState.
func (s SealingState) Validate() error {
	switch {
	case s.Sealed && !isLowerHex(s.KeyID, SealingKeyIDLen):
		return invalid(failf("keyId", "must be %d lower-case hex digits while sealing", SealingKeyIDLen))
	case s.Sealed && (s.FromSeq < 1 || s.FromSeq > MaxSeq):
		return invalid(failf("fromSeq", "must be 1..%d while sealing", uint64(MaxSeq)))
	case !s.Sealed && (s.KeyID != "" || s.FromSeq != 0):
		return invalid(fail("sealed", "is false, so keyId and fromSeq must be absent"))
	}
	return nil
}

// DecodeSealingSwitch reads and validates a SealingSwitch body.
func DecodeSealingSwitch(r io.Reader) (SealingSwitch, error) {
	return decodeBody[SealingSwitch](r)
}

// DecodeSealingState reads and validates a SealingState body.
func DecodeSealingState(r io.Reader) (SealingState, error) {
	return decodeBody[SealingState](r)
}

// SealedContent is the plaintext of an event's envelope: the content the
// event would carry plain (Case for case.created, Message for
// case.followup).
type SealedContent struct {
	// Case is a case.created event's new case.
	Case *NewCase `json:"case,omitempty"`
	// Message is a case.followup event's message.
	Message *PatientMessage `json:"message,omitempty"`
}

// SealedBytes returns the envelope of a sealed event; nil and false if ev
// carries none or it is not strict base64.
func (e Event) SealedBytes() ([]byte, bool) {
	if e.Sealed == "" {
		return nil, false
	}
	return sealedB64(e.Sealed)
}

// ContentOf returns the plaintext to seal for ev, a plain case.created or
// case.followup event.
func ContentOf(ev Event) ([]byte, error) {
	return Marshal(SealedContent{Case: ev.Case, Message: ev.Message})
}

// Validate checks the content alone (as Event.check does within an event).
func (c SealedContent) Validate() error {
	switch {
	case (c.Case == nil) == (c.Message == nil):
		return invalid(fail("case", "exactly one of case and message must be set"))
	case c.Case != nil:
		return invalid(within("case", c.Case.check("")))
	}
	return invalid(within("message", c.Message.check("")))
}

// Unsealed returns ev, sealed, with the content plaintext opened from its
// envelope in place of Sealed, validated as a plain event is: a content
// that is not of ev's kind or breaks a rule is refused (a 400 Problem,
// as from any decoder).
func Unsealed(ev Event, plaintext []byte) (Event, error) {
	var c SealedContent
	fast := false
	if len(plaintext) <= MaxEventBytes { // the fast decoder checks the encoding as checkEncoding does
		c, fast = decodeSealedContentFast(plaintext)
	}
	if !fast { // anything else, and why it is refused, the strict decoder's
		var err error
		if c, err = decodeBody[SealedContent](bytes.NewReader(plaintext)); err != nil {
			return Event{}, err
		}
	}
	out := ev
	out.Sealed, out.Route, out.Case, out.Message = "", nil, c.Case, c.Message
	if err := out.Validate(); err != nil {
		return Event{}, err
	}
	return out, nil
}

var fastSealedMembers = fastMembers{[]string{"case", "message"}, 0}

// decodeSealedContentFast is the fast page decoder's (fastpage.go) for a
// SealedContent; not validated. ok false: the strict decoder decides.
func decodeSealedContentFast(b []byte) (c SealedContent, ok bool) {
	d := fastDec{b: b}
	ok = d.object(&fastSealedMembers, func(k int) bool {
		if k == 0 {
			c.Case = new(NewCase)
			return d.newCase(c.Case)
		}
		c.Message = new(PatientMessage)
		return d.object(&fastMessageMembers, func(k int) bool {
			if k == 0 {
				return d.str(&c.Message.ID)
			}
			return d.str(&c.Message.Text)
		})
	})
	if !ok || d.ws() != 0 {
		return SealedContent{}, false
	}
	return c, true
}

// checkSealed checks a sealed event's members (Event.check's part).
func (e Event) checkSealed(path string) error {
	switch {
	case e.Kind != EventCaseCreated && e.Kind != EventCaseFollowUp:
		return fail(member(path, "sealed"), "is only for case.created and case.followup")
	case e.Case != nil || e.Message != nil:
		return fail(member(path, "sealed"), "replaces case and message: they must be absent")
	case len(e.Sealed) > MaxSealedLen:
		return failf(member(path, "sealed"), "must be at most %d characters", MaxSealedLen)
	}
	if !isSealedB64(e.Sealed) {
		return fail(member(path, "sealed"), "must be padded base64 (RFC 4648 section 4)")
	}
	if e.Route != nil {
		return within(member(path, "route"), e.Route.check(e.Kind))
	}
	return nil
}
