package wire

// The route of a sealed event (Event.Route). A sealed event's content
// opens only at the unit, so a central store that lost it (restored from
// an older copy of its file) could not take it back from the gateway's
// journal: it could neither index the case for the patient nor tell a
// duplicate. Since this member, the central store writes beside the
// envelope what it keeps in the clear anyway for routing and the
// patient's list — the form (service) id, the patient's and guardian's
// personnummer as its keyed hash, a follow-up's message id — so that the
// event given back as sent (PathReconcile2) re-creates the case's routing
// record and list entries without being opened. The member is part of
// the event's chain link (after sealed, only when set), so it cannot be
// altered on the way back unnoticed.
//
// Versions: it appears only on sealed events, which only a gateway that
// switched sealing on gets (this release); the gateway takes it out with
// the envelope (Unsealed) and keeps the event as sent in its journal. A
// sealed event without it (written before it existed) is still valid; a
// central store cannot take such an event back and says so (409).

// RouteHashLen is the length of a keyed hash in a SealedRoute: 64
// lower-case hex digits (HMAC-SHA256 under the central store's patient
// index key).
const RouteHashLen = 64

// SealedRoute is what a central store keeps in the clear of a sealed event.
type SealedRoute struct {
	// Type is a case.created event's case type (the form id).
	Type string `json:"type,omitempty"`
	// Patient is a case.created event's patient's personnummer as the
	// central store's keyed hash (RouteHashLen lower-case hex digits).
	Patient string `json:"patient,omitempty"`
	// Guardian is the guardian's, as Patient, when a guardian wrote.
	Guardian string `json:"guardian,omitempty"`
	// MessageID is a case.followup event's message id.
	MessageID string `json:"messageId,omitempty"`
}

var fastRouteMembers = fastMembers{[]string{"type", "patient", "guardian", "messageId"}, 0}

// member is the string of the fast decoder's k-th member.
func (r *SealedRoute) member(k int) *string {
	switch k {
	case 0:
		return &r.Type
	case 1:
		return &r.Patient
	case 2:
		return &r.Guardian
	}
	return &r.MessageID
}

// check checks a route of an event of kind.
func (r SealedRoute) check(kind EventKind) error {
	if kind == EventCaseFollowUp {
		if r.Type != "" || r.Patient != "" || r.Guardian != "" {
			return fail("type", "a follow-up's route has its messageId only")
		}
		return checkToken("messageId", r.MessageID)
	}
	if r.MessageID != "" {
		return fail("messageId", "is only for case.followup")
	}
	if err := checkTypeName("type", r.Type); err != nil {
		return err
	}
	if !isLowerHex(r.Patient, RouteHashLen) {
		return failf("patient", "must be %d lower-case hex digits", RouteHashLen)
	}
	if r.Guardian != "" && !isLowerHex(r.Guardian, RouteHashLen) {
		return failf("guardian", "must be %d lower-case hex digits", RouteHashLen)
	}
	return nil
}
