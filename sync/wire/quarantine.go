package wire

import "io"

// A central event the gateway cannot apply is kept in its quarantine and
// the page is acknowledged all the same (the acknowledgement means
// "durably stored here"). So that the central store knows which of the
// events it counts as delivered were not handled, the gateway reports its
// whole quarantine, by event id and reason only (no patient data), with
// PUT PathQuarantine2: after every pull that changed it and once at every
// start. The report is the gateway's state, not a change, so sending it
// twice, late or after either side restarted changes nothing; an event
// that leaves the quarantine (a retry applied it, or region IT released
// it) is simply no longer in the next report: the central store then
// counts it as handled. GET PathQuarantine2 answers the last report the
// central store holds for the unit.

// PathQuarantine2 is the unit's quarantine report: PUT QuarantineReport →
// 204, GET → 200 QuarantineReport.
const PathQuarantine2 = "/" + Version2 + "/quarantine"

// MaxQuarantineEvents bounds QuarantineReport.Events; a gateway with more
// quarantined events reports the oldest this many, and all of them in
// Total.
const MaxQuarantineEvents = 1000

// QuarantineReason says why the gateway could not apply an event.
type QuarantineReason string

// The reasons a gateway reports.
const (
	QuarantineInvalid       QuarantineReason = "invalid"        // a new case fails a rule the gateway cannot relax
	QuarantineUnknownCase   QuarantineReason = "unknown-case"   // a follow-up or withdrawal of a case not at the gateway
	QuarantineNotApplicable QuarantineReason = "not-applicable" // the workflow refuses the step
	QuarantineUnknownKind   QuarantineReason = "unknown-kind"   // an event kind the gateway does not know
	QuarantineConflict      QuarantineReason = "conflict"       // names a case or message stored with other content
)

// QuarantineReasons lists the reasons.
var QuarantineReasons = []QuarantineReason{QuarantineInvalid, QuarantineUnknownCase, QuarantineNotApplicable, QuarantineUnknownKind, QuarantineConflict}

// QuarantinedEvent is one event the gateway acknowledged but could not
// apply: its id (Event.ID) and why.
type QuarantinedEvent struct {
	// ID is the event's id (Event.ID).
	ID string `json:"id"`
	// Reason says why the gateway could not apply it.
	Reason QuarantineReason `json:"reason"`
}

// QuarantineReport is the gateway's whole quarantine: every event it
// acknowledged and did not handle, oldest first. An event not in it is
// handled.
type QuarantineReport struct {
	// Events are the quarantined events, 0..MaxQuarantineEvents, each id
	// once.
	Events []QuarantinedEvent `json:"events"`
	// Total is how many events are quarantined: len(Events), or more when
	// there are more than MaxQuarantineEvents.
	Total int `json:"total"`
}

// Validate checks a quarantine report.
func (q QuarantineReport) Validate() error { return invalid(q.check()) }

func (q QuarantineReport) check() error {
	if q.Events == nil {
		return fail("events", "must be present (an empty array when there are none)")
	}
	if len(q.Events) > MaxQuarantineEvents {
		return failf("events", "must hold at most %d events", MaxQuarantineEvents)
	}
	seen := make(map[string]bool, len(q.Events))
	for i, e := range q.Events {
		path := index("events", i)
		if err := checkToken(member(path, "id"), e.ID); err != nil {
			return err
		}
		if seen[e.ID] {
			return fail(member(path, "id"), "repeats an earlier event's id")
		}
		seen[e.ID] = true
		known := false
		for _, r := range QuarantineReasons {
			known = known || e.Reason == r
		}
		if !known {
			return fail(member(path, "reason"), "must be one of invalid, unknown-case, not-applicable, unknown-kind, conflict")
		}
	}
	if q.Total < len(q.Events) || (len(q.Events) < MaxQuarantineEvents && q.Total != len(q.Events)) {
		return fail("total", "must be the number of events, or more only when events is full")
	}
	if q.Total > MaxSeq {
		return failf("total", "must be at most %d", uint64(MaxSeq))
	}
	return nil
}

// DecodeQuarantineReport reads a QuarantineReport (the server, from PUT
// PathQuarantine2; the gateway, from GET) within MaxBodyBytes and
// validates it.
func DecodeQuarantineReport(r io.Reader) (QuarantineReport, error) {
	return decodeBody[QuarantineReport](r)
}
