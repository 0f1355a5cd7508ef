package cases

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The quarantine: a central event this gateway cannot apply is never
// skipped. It is kept, sealed like every value in the store, in the same
// transaction that applies the rest of its page and advances the sync
// cursor, so that it is neither lost nor blocks the events after it. The
// cursor's acknowledgement to the central store then says "stored here",
// as for every event; whether an event was handled or quarantined is
// reported here: staff who distribute cases see that cases could not be
// received, region IT sees a metric and a failing health check, and lists,
// retries (after a fix or an upgrade) or releases quarantined events
// (`clinicgw quarantine`). Retry runs by itself when the uplink starts.

// QuarantineReason says why a central event was quarantined.
type QuarantineReason string

// The reasons.
const (
	// QuarantineInvalid: a new case fails a rule this version cannot
	// relax (a malformed personnummer, an unknown case type, a control
	// character); Quarantined.Field names the field.
	QuarantineInvalid QuarantineReason = "invalid"
	// QuarantineUnknownCase: a follow-up or withdrawal of a case not here
	// (often one itself in quarantine: a retry applies both in order).
	QuarantineUnknownCase QuarantineReason = "unknown-case"
	// QuarantineNotApplicable: the workflow refuses the step.
	QuarantineNotApplicable QuarantineReason = "not-applicable"
	// QuarantineUnknownKind: an event kind this version does not know.
	QuarantineUnknownKind QuarantineReason = "unknown-kind"
	// QuarantineConflict: the event names a case or message stored here
	// with other content.
	QuarantineConflict QuarantineReason = "conflict"
)

// QuarantineReasons lists the reasons, for figures by reason.
var QuarantineReasons = []QuarantineReason{QuarantineInvalid, QuarantineUnknownCase, QuarantineNotApplicable, QuarantineUnknownKind, QuarantineConflict}

// Quarantined is a central event kept because it could not apply.
type Quarantined struct {
	Seq    uint64 // the store's number for it, set when stored
	Event  Inbound
	Reason QuarantineReason
	Field  string    // QuarantineInvalid: the field refused, never its value
	Cursor uint64    // the sync cursor of the page it came in
	At     time.Time // when it was quarantined, by this gateway's clock
}

// ErrNotQuarantined is returned for a quarantine number not (or no
// longer) in the quarantine.
var ErrNotQuarantined = errors.New("no such quarantined event")

// Quarantine returns the quarantined events, oldest first.
func (s *Service) Quarantine(ctx context.Context) ([]Quarantined, error) {
	var out []Quarantined
	err := s.store.View(ctx, func(tx ReadTx) error {
		out = out[:0]
		return tx.Quarantined(func(q Quarantined) bool { out = append(out, q); return true })
	})
	if err != nil {
		return nil, fmt.Errorf("read the quarantine: %w", err)
	}
	return out, nil
}

// QuarantineCount returns how many central events are quarantined.
func (s *Service) QuarantineCount(ctx context.Context) (int, error) {
	n := 0
	err := s.store.View(ctx, func(tx ReadTx) error {
		n = 0
		return tx.Quarantined(func(Quarantined) bool { n++; return true })
	})
	if err != nil {
		return 0, fmt.Errorf("read the quarantine: %w", err)
	}
	return n, nil
}

// RetryReport says what RetryQuarantine did.
type RetryReport struct {
	Applied   int // events that now applied (or had been applied): left the quarantine
	Remaining int // events still quarantined
}

// RetryQuarantine applies the quarantined events again, oldest first, by
// this version's rules, in one transaction: those that apply now (or are
// found applied) leave the quarantine; the others stay as they were, in
// their order. The sync cursor does not move.
func (s *Service) RetryQuarantine(ctx context.Context) (RetryReport, error) {
	qs, err := s.Quarantine(ctx)
	if err != nil || len(qs) == 0 {
		return RetryReport{}, err
	}
	now := s.clock.Now()
	in := make([]Inbound, len(qs))
	for i, q := range qs {
		in[i] = q.Event
	}
	p := s.prepareInbound(in, now)
	p.wait()
	var rep RetryReport
	var changed []ID
	created := 0
	err = s.store.Update(ctx, func(tx Tx) error {
		rep, changed, created = RetryReport{}, changed[:0], 0
		for i, q := range qs {
			res := refusedInvalid
			if p.invalid[i] == nil {
				if res, err = s.applyOne(tx, q.Event, p.fresh[i], p.insert(i), nil, now); err != nil {
					return fmt.Errorf("quarantined event %s: %w", q.Event.EventID, err)
				}
			} else if dup, err := retiredDuplicate(tx, q.Event); err != nil { // sealdup.go
				return fmt.Errorf("quarantined event %s: %w", q.Event.EventID, err)
			} else if dup {
				res = duplicate
			}
			switch res {
			case applied, duplicate:
				if err := tx.Unquarantine(q.Seq); err != nil {
					return err
				}
				rep.Applied++
				if res == applied {
					changed = append(changed, q.Event.CaseID)
					if q.Event.Kind == InboundCreated {
						created++
					}
				}
				continue
			}
			rep.Remaining++
		}
		return nil
	})
	if err != nil {
		return RetryReport{}, fmt.Errorf("retry the quarantine: %w", err)
	}
	s.log.Info("quarantine retried", "applied", rep.Applied, "remaining", rep.Remaining)
	if len(changed) > 0 {
		s.onChange(Change{IDs: changed})
	}
	if created > 0 {
		s.onSignal(Signal{Kind: SignalArrived, Count: created})
	}
	return rep, nil
}

// ReleaseQuarantine removes a quarantined event without applying it: region
// IT has settled it otherwise (with the central store, or by hand).
func (s *Service) ReleaseQuarantine(ctx context.Context, seq uint64) error {
	var ev Quarantined
	err := s.store.Update(ctx, func(tx Tx) error {
		found := false
		if err := tx.Quarantined(func(q Quarantined) bool {
			if q.Seq == seq {
				ev, found = q, true
			}
			return !found
		}); err != nil {
			return err
		}
		if !found {
			return ErrNotQuarantined
		}
		return tx.Unquarantine(seq)
	})
	if err != nil {
		return fmt.Errorf("release quarantined event %d: %w", seq, err)
	}
	s.log.Warn("quarantined event released without applying it", "seq", seq, "eventId", ev.Event.EventID,
		"caseId", string(ev.Event.CaseID), "reason", string(ev.Reason))
	return nil
}

// quarantine keeps ev in tx's quarantine, logged by event and case id.
func (s *Service) quarantine(tx Tx, ev Inbound, res applyResult, why *ValidationError, cursor uint64, now time.Time) error {
	q := Quarantined{Event: ev, Reason: res.reason(), Cursor: cursor, At: now}
	if why != nil {
		q.Field = why.Field
	}
	s.log.Error("central event quarantined: it cannot apply here", "eventId", ev.EventID, "caseId", string(ev.CaseID),
		"reason", string(q.Reason), "field", q.Field)
	return tx.Quarantine(q)
}

// reason is the quarantine reason of a result that did not apply.
func (r applyResult) reason() QuarantineReason {
	switch r {
	case conflicted:
		return QuarantineConflict
	case refusedUnknownCase:
		return QuarantineUnknownCase
	case refusedNotApplicable:
		return QuarantineNotApplicable
	case refusedUnknownKind:
		return QuarantineUnknownKind
	}
	return QuarantineInvalid
}
