package wire

import (
	"io"
	"time"
)

// Online booking (issue 20). The gateway is the authority over its
// booking diary; the central store only shows what the gateway published
// and forwards what patients ask:
//
//   - PUT PathBookingTimes2: the gateway publishes the unit's free times
//     (BookingTimes: id, start in UTC, length, the neutral patient-facing
//     type name, the clinician's display name only where the unit wants
//     it; no personal data). A PUT replaces what the central store had.
//   - GET PathBookingRequests2: the patients' booking, rebooking and
//     cancelling requests not yet decided (BookingRequestPage), oldest
//     first. Each has its own id, made by the central store; a request
//     stays in the answer until a decision for it is posted, so it is
//     delivered at least once, and the gateway decides a request it has
//     decided before the same way (idempotent by id).
//   - POST PathBookingDecisions2: the gateway's decisions (confirmed, or
//     declined with a reason code). A decision for a request already
//     decided is ignored; one for an unknown request too (204 either way).
//
// While a request waits for its decision the central store shows the time
// busy-tentative (to no other patient as free); only a confirmed decision
// makes it "booked" on the patient pages, and a declined one frees it
// again unless the gateway's next publication says otherwise.
//
// The requests travel on their own endpoints, not as a new EventKind of
// the inbox: a gateway of the release before would refuse an inbox page
// with an unknown kind and so stop taking cases. A central store of the
// release before answers these paths 404 (not-found): the gateway then
// logs it once and goes on without online booking.

// Paths of online booking (new in v2).
const (
	PathBookingTimes2     = "/" + Version2 + "/booking/times"
	PathBookingRequests2  = "/" + Version2 + "/booking/requests"
	PathBookingDecisions2 = "/" + Version2 + "/booking/decisions"
)

// Limits of online booking.
const (
	MaxBookingTimes      = 20000 // free times in one publication (8 weeks × 20 clinicians × 12 a day fits)
	MaxBookingRequests   = 500   // requests in one page
	MaxBookingDecisions  = 500   // decisions in one batch
	MaxBookingTypeLen    = 80    // the neutral type name, characters
	MaxBookingMinutes    = 8 * 60
	MaxBookingDisplayLen = 100 // the clinician's display name, characters
)

// BookingTimes is the unit's free times, as the gateway publishes them.
type BookingTimes struct {
	// Times are every free time bookable online; ids unique.
	Times []BookingTime `json:"times"`
}

// BookingTime is one free time. It carries no personal data: the
// clinician is named only by a display name, and only where the time's
// type says so.
type BookingTime struct {
	// ID is the time's published id (a token): opaque, made by the
	// gateway, naming no clinician (agent/booking's publicid.go).
	ID string `json:"id"`
	// Start is the start, in UTC.
	Start time.Time `json:"start"`
	// Minutes is the length.
	Minutes int `json:"minutes"`
	// TypeID is the time type's id, for choosing a type (a token): an
	// opaque one from the gateway (agent/booking/publicid.go), as it goes
	// into the patient pages' addresses.
	TypeID string `json:"typeId"`
	// Type is the neutral name patients see ("Besök"), never the staff
	// name.
	Type string `json:"type"`
	// Clinician is the clinician's display name, "" unless the type shows
	// it.
	Clinician string `json:"clinician"`
	// Rebook says whether the type lets a patient rebook a booking of
	// this time.
	Rebook bool `json:"rebook"`
	// Cancel says whether the type lets a patient cancel one.
	Cancel bool `json:"cancel"`
}

// BookingKind is what a patient's request asks.
type BookingKind string

// The kinds of BookingRequest.
const (
	BookingBook   BookingKind = "book"
	BookingRebook BookingKind = "rebook"
	BookingCancel BookingKind = "cancel"
)

var bookingKinds = []BookingKind{BookingBook, BookingRebook, BookingCancel}

// BookingRequest is a patient's request, as the central store forwards
// it.
type BookingRequest struct {
	// ID is the request's id, made by the central store (a token).
	ID string `json:"id"`
	// Kind is what the patient asks.
	Kind BookingKind `json:"kind"`
	// Patient is who books: the logged-in patient's personnummer; absent
	// when Sealed holds it (bookingsealed.go).
	Patient string `json:"patient,omitempty"`
	// Time is the time to book (book, rebook) or to cancel (cancel).
	Time string `json:"time"`
	// From is the booked time a rebook moves from; "" otherwise.
	From string `json:"from"`
	// At is when the patient asked.
	At time.Time `json:"at"`
	// Reminder is the patient's consent to a reminder before the visit
	// and where it goes (bookingreminder.go); absent or null: none.
	Reminder *BookingReminder `json:"reminder,omitempty"`
	// Sealed is Patient and Reminder sealed to the unit's key, for a unit
	// that switched sealing on (bookingsealed.go); "" otherwise.
	Sealed string `json:"sealed,omitempty"`
}

// BookingRequestPage is the requests waiting for a decision.
type BookingRequestPage struct {
	// Requests are oldest first; ids unique.
	Requests []BookingRequest `json:"requests"`
}

// BookingOutcome is the gateway's answer.
type BookingOutcome string

// The outcomes.
const (
	BookingConfirmed BookingOutcome = "confirmed"
	BookingDeclined  BookingOutcome = "declined"
)

var bookingOutcomes = []BookingOutcome{BookingConfirmed, BookingDeclined}

// BookingDecision is the gateway's decision on one request.
type BookingDecision struct {
	// Request is the request's id.
	Request string `json:"request"`
	// Outcome is confirmed or declined.
	Outcome BookingOutcome `json:"outcome"`
	// Reason is the decline's code (agent/booking's Code: "taken",
	// "tooLate", …); "" when confirmed.
	Reason string `json:"reason"`
}

// BookingDecisions is a batch of decisions.
type BookingDecisions struct {
	// Decisions are 1 to MaxBookingDecisions.
	Decisions []BookingDecision `json:"decisions"`
}

// Validate checks published times.
func (b BookingTimes) Validate() error { return invalid(b.check()) }

func (b BookingTimes) check() error {
	if b.Times == nil {
		return fail("times", "is required (empty: no free times)")
	}
	if len(b.Times) > MaxBookingTimes {
		return failf("times", "must have at most %d times", MaxBookingTimes)
	}
	seen := make(map[string]bool, len(b.Times))
	for i, t := range b.Times {
		p := index("times", i)
		if err := t.check(p); err != nil {
			return err
		}
		if seen[t.ID] {
			return fail(member(p, "id"), "appears twice")
		}
		seen[t.ID] = true
	}
	return nil
}

func (t BookingTime) check(p string) error {
	if err := checkToken(member(p, "id"), t.ID); err != nil {
		return err
	}
	if err := checkTime(member(p, "start"), t.Start); err != nil {
		return err
	}
	if t.Minutes < 1 || t.Minutes > MaxBookingMinutes {
		return failf(member(p, "minutes"), "must be 1 to %d", MaxBookingMinutes)
	}
	if err := checkToken(member(p, "typeId"), t.TypeID); err != nil {
		return err
	}
	if err := checkLine(member(p, "type"), t.Type, MaxBookingTypeLen, true); err != nil {
		return err
	}
	return checkLine(member(p, "clinician"), t.Clinician, MaxBookingDisplayLen, false)
}

// Validate checks a request.
func (r BookingRequest) Validate() error { return invalid(r.check("")) }

func (r BookingRequest) check(p string) error {
	if err := checkToken(member(p, "id"), r.ID); err != nil {
		return err
	}
	switch r.Kind {
	case BookingBook, BookingRebook, BookingCancel:
	default:
		return fail(member(p, "kind"), "must be book, rebook or cancel")
	}
	if err := r.checkPersonal(p); err != nil {
		return err
	}
	if err := checkToken(member(p, "time"), r.Time); err != nil {
		return err
	}
	if r.Kind == BookingRebook {
		if err := checkToken(member(p, "from"), r.From); err != nil {
			return err
		}
	} else if r.From != "" {
		return fail(member(p, "from"), "must be empty unless kind is rebook")
	}
	return checkTime(member(p, "at"), r.At)
}

// Validate checks a page of requests.
func (pg BookingRequestPage) Validate() error { return invalid(pg.check()) }

func (pg BookingRequestPage) check() error {
	if pg.Requests == nil {
		return fail("requests", "is required (empty: none waiting)")
	}
	if len(pg.Requests) > MaxBookingRequests {
		return failf("requests", "must have at most %d requests", MaxBookingRequests)
	}
	seen := make(map[string]bool, len(pg.Requests))
	for i, r := range pg.Requests {
		p := index("requests", i)
		if err := r.check(p); err != nil {
			return err
		}
		if seen[r.ID] {
			return fail(member(p, "id"), "appears twice")
		}
		seen[r.ID] = true
	}
	return nil
}

// Validate checks a batch of decisions.
func (d BookingDecisions) Validate() error { return invalid(d.check()) }

func (d BookingDecisions) check() error {
	if len(d.Decisions) == 0 || len(d.Decisions) > MaxBookingDecisions {
		return failf("decisions", "must have 1 to %d decisions", MaxBookingDecisions)
	}
	for i, x := range d.Decisions {
		p := index("decisions", i)
		if err := checkToken(member(p, "request"), x.Request); err != nil {
			return err
		}
		switch x.Outcome {
		case BookingConfirmed:
			if x.Reason != "" {
				return fail(member(p, "reason"), "must be empty when confirmed")
			}
		case BookingDeclined:
			if err := checkToken(member(p, "reason"), x.Reason); err != nil {
				return err
			}
		default:
			return fail(member(p, "outcome"), "must be confirmed or declined")
		}
	}
	return nil
}

// DecodeBookingTimes reads BookingTimes (the server, from PUT
// PathBookingTimes2) within MaxBodyBytes and validates them.
func DecodeBookingTimes(r io.Reader) (BookingTimes, error) { return decodeBody[BookingTimes](r) }

// DecodeBookingRequestPage reads a BookingRequestPage (the gateway, from
// GET PathBookingRequests2) within MaxBodyBytes and validates it.
func DecodeBookingRequestPage(r io.Reader) (BookingRequestPage, error) {
	return decodeBody[BookingRequestPage](r)
}

// DecodeBookingDecisions reads BookingDecisions (the server, from POST
// PathBookingDecisions2) within MaxBodyBytes and validates them.
func DecodeBookingDecisions(r io.Reader) (BookingDecisions, error) {
	return decodeBody[BookingDecisions](r)
}
