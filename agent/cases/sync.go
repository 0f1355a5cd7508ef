package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"clinicgw/agent/audit"
)

// The sync with the central patient-side store meets the domain here:
// inbound events (new cases, follow-ups, withdrawals) are applied together
// with the sync cursor in one store transaction, and every change a patient
// can see (a message, a new status) is queued for the central store in the
// same transaction as the change itself, so that neither an event nor an
// answer is ever lost between the two stores.

// InboundKind says what an inbound event is.
type InboundKind string

// The inbound event kinds (the wire protocol's event kinds).
const (
	InboundCreated   InboundKind = "case.created"
	InboundFollowUp  InboundKind = "case.followup"
	InboundWithdrawn InboundKind = "case.withdrawn"
)

// Inbound is one event from the central store.
type Inbound struct {
	Kind    InboundKind
	EventID string
	CaseID  ID
	// At is when the patient acted: the central store's time of record
	// (when it accepted the event). Due dates count from it (DueFrom); a
	// zero At counts from the event's arrival here.
	At         time.Time
	Submission *Submission // InboundCreated; its ID is CaseID
	MessageID  string      // InboundFollowUp
	Text       string      // InboundFollowUp
}

// OutboundKind says what an outbound item carries.
type OutboundKind string

// The outbound kinds (the wire protocol's outbox kinds).
const (
	OutboundAnswer          OutboundKind = "answer"
	OutboundPartialAnswer   OutboundKind = "partial-answer"
	OutboundCounterQuestion OutboundKind = "counter-question"
	OutboundStatus          OutboundKind = "status" // a status change without a message
	// OutboundInitiated tells the patient side of a case staff started,
	// with its first message (Outbound.Initiated is set).
	OutboundInitiated OutboundKind = "case.initiated"
)

// Outbound is a change the patient side must learn of, kept in the store's
// outbox until the central store confirms it.
type Outbound struct {
	Key       string // idempotency key: unique, stable across retries
	CaseID    ID
	Kind      OutboundKind
	At        time.Time
	Status    Status // the case's status after the change
	MessageID string // for the message kinds
	Text      string
	Signature string
	// AuthorTitle is the staff author's title ("Sjuksköterska"); empty in
	// items queued before titles were kept: the uplink then sends a neutral one.
	AuthorTitle string `json:",omitempty"`
	// Initiated is set exactly on an OutboundInitiated item: the case as
	// the patient side must create it.
	Initiated *InitiatedCase `json:",omitempty"`
}

// InitiatedCase is what the patient side learns of a case staff started
// with a patient, besides its first message.
type InitiatedCase struct {
	Type         Type
	Patient      Person // Name may be empty
	Subject      string
	ReplyAllowed bool
}

// ApplyReport counts what ApplyInbound did with a page of events.
type ApplyReport struct {
	Applied    int // events that changed a case or created one
	Duplicates int // events already applied (a repeat delivery)
	Refused    int // events that cannot apply (invalid, unknown case, illegal move): logged by event id, then skipped
	// Conflicts are events that name a case or a follow-up already applied
	// here but carry other content: not a repeat delivery. Logged by event
	// and case id, then skipped: nothing of them applies.
	Conflicts int
}

// SyncCursor returns the sequence number of the last central event applied.
func (s *Service) SyncCursor(ctx context.Context) (uint64, error) {
	var c uint64
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		c, err = tx.SyncCursor()
		return err
	})
	return c, err
}

// ApplyInbound applies a page of central events and moves the sync cursor
// to cursor, all in one transaction: when it returns nil every event is
// durable here and the page may be acknowledged. Applying is idempotent: an
// event already applied (the same case id with the same submission, the
// same follow-up message id with the same text, a case already withdrawn)
// changes nothing; one that names an applied case or message with other
// content is a conflict: logged, counted, skipped. An event that cannot apply (an
// invalid case, a follow-up for an unknown case) is logged with its event id
// only and skipped, so that one bad event cannot stop the sync.
func (s *Service) ApplyInbound(ctx context.Context, in []Inbound, cursor uint64) (ApplyReport, error) {
	now := s.clock.Now()
	s.noteSkew(in, now)
	// New cases are validated outside the transaction (it may run more than
	// once), a chunk at a time, by a goroutine that runs ahead of it: the
	// transaction applies one chunk while the next is validated.
	p := s.prepareInbound(in, now)
	defer p.wait()
	var rep ApplyReport
	var changed []ID
	var owners []string // assignees of the existing cases the page changed
	created := 0
	err := s.store.Update(ctx, func(tx Tx) error {
		rep, changed, owners, created = ApplyReport{}, changed[:0], owners[:0], 0
		for i, ev := range in {
			p.ready(i)
			if p.invalid[i] {
				rep.Refused++
				continue
			}
			res, err := s.applyOne(tx, ev, p.fresh[i], now)
			if err != nil {
				return fmt.Errorf("event %s: %w", ev.EventID, err)
			}
			switch res {
			case applied:
				rep.Applied++
				changed = append(changed, ev.CaseID)
				if ev.Kind == InboundCreated {
					created++
				} else if c, err := tx.Case(ev.CaseID); err == nil {
					owners = assignees(append(owners, c.Assignee)...)
				}
			case duplicate:
				rep.Duplicates++
			case conflicted:
				rep.Conflicts++
			default:
				rep.Refused++
			}
		}
		cur, err := tx.SyncCursor()
		if err != nil {
			return err
		}
		if cursor > cur {
			return tx.SetSyncCursor(cursor)
		}
		return nil
	})
	if err != nil {
		return ApplyReport{}, fmt.Errorf("apply central events: %w", err)
	}
	if len(changed) > 0 {
		s.onChange(Change{IDs: changed, Assignees: owners})
	}
	if created > 0 {
		s.onSignal(Signal{Kind: SignalArrived, Count: created})
	}
	return rep, nil
}

// noteSkew logs, once per page, events whose time of record is after
// their arrival here: the central store's clock is ahead of this one, and
// their due dates count from arrival instead (DueFrom).
func (s *Service) noteSkew(in []Inbound, now time.Time) {
	n, ahead := 0, time.Duration(0)
	for _, ev := range in {
		if ev.At.After(now) {
			n, ahead = n+1, max(ahead, ev.At.Sub(now))
		}
	}
	if n > 0 {
		s.log.Warn("central time of record after arrival; due dates counted from arrival",
			"events", n, "maxAhead", ahead.String())
	}
}

// prepChunk is how many events are validated at a time ahead of the
// transaction.
const prepChunk = 32

// prepared is a page of inbound events being validated: for each event,
// the new case it creates or whether it is invalid, readable once ready
// says so.
type prepared struct {
	fresh   []*Case
	invalid []bool
	chunks  []chan struct{} // closed when a chunk of prepChunk events is validated
	done    chan struct{}   // closed when the validating goroutine has returned
}

// prepareInbound validates the new cases among in, in order: a page of one
// chunk at once, a longer one by a goroutine that runs ahead of the
// caller. It is the only reader of s.rand meanwhile, so a deterministic
// source yields the same ids as it would in one goroutine.
func (s *Service) prepareInbound(in []Inbound, now time.Time) *prepared {
	n := (len(in) + prepChunk - 1) / prepChunk
	p := &prepared{fresh: make([]*Case, len(in)), invalid: make([]bool, len(in)), done: make(chan struct{})}
	validate := func(from, to int) {
		for i := from; i < to; i++ {
			p.fresh[i], p.invalid[i] = s.validateInbound(in[i], now)
		}
	}
	if n <= 1 {
		validate(0, len(in))
		close(p.done)
		return p
	}
	p.chunks = make([]chan struct{}, n)
	for k := range p.chunks {
		p.chunks[k] = make(chan struct{})
	}
	go func() {
		defer close(p.done)
		for k := range n {
			validate(k*prepChunk, min(len(in), (k+1)*prepChunk))
			close(p.chunks[k])
		}
	}()
	return p
}

// ready waits until event i is validated.
func (p *prepared) ready(i int) {
	if p.chunks != nil && i%prepChunk == 0 {
		<-p.chunks[i/prepChunk]
	}
}

// wait waits for the validating goroutine to return.
func (p *prepared) wait() { <-p.done }

// validateInbound returns the new case a case.created event makes, or
// reports it invalid (logged by event id). Other events need no case.
func (s *Service) validateInbound(ev Inbound, now time.Time) (*Case, bool) {
	if ev.Kind != InboundCreated {
		return nil, false
	}
	if ev.Submission == nil {
		return nil, true
	}
	sub := *ev.Submission
	sub.ID = ev.CaseID
	c, err := s.newCase(sub, now)
	if err != nil {
		var ve *ValidationError
		field := ""
		if errors.As(err, &ve) {
			field = ve.Field
		}
		s.log.Warn("inbound case refused", "eventId", ev.EventID, "field", field)
		return nil, true
	}
	return c, false
}

type applyResult int

const (
	applied applyResult = iota
	duplicate
	refused
	conflicted // names a case or message applied here, with other content
)

// applyOne applies one event in tx. An event that cannot apply is logged
// by event id and reported as refused.
func (s *Service) applyOne(tx Tx, ev Inbound, fresh *Case, now time.Time) (applyResult, error) {
	patient := Actor{Kind: Patient}
	if ev.Kind == InboundCreated {
		old, err := tx.Case(ev.CaseID)
		if err == nil {
			if !sameSubmission(old, fresh) {
				return s.conflict(ev), nil
			}
			return duplicate, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return refused, err
		}
		// fresh is the store's to keep: nothing here changes it after
		// validation, and a second run of fn hands over the same value.
		if err := tx.Insert(fresh); err != nil {
			return refused, err
		}
		return applied, tx.AppendAudit(s.entry(now, Actor{Kind: System}, Receive, fresh, audit.Allowed))
	}
	var cmd Command
	switch ev.Kind {
	case InboundFollowUp:
		cmd = Command{Action: FollowUp, Text: ev.Text, SentAt: ev.At}
	case InboundWithdrawn:
		cmd = Command{Action: Withdraw}
	default:
		s.log.Warn("inbound event of unknown kind skipped", "eventId", ev.EventID)
		return refused, nil
	}
	c, err := tx.Case(ev.CaseID)
	if errors.Is(err, ErrNotFound) || !validID(ev.CaseID) {
		s.log.Warn("inbound event for an unknown case skipped", "eventId", ev.EventID, "caseId", string(ev.CaseID))
		return refused, nil
	}
	if err != nil {
		return refused, err
	}
	if ev.Kind == InboundWithdrawn && c.Status == Withdrawn {
		return duplicate, nil
	}
	if ev.Kind == InboundFollowUp {
		for _, m := range c.Messages {
			if m.ID == ev.MessageID {
				if m.Text != ev.Text || m.Author != patient.Name() {
					return s.conflict(ev), nil
				}
				return duplicate, nil
			}
		}
	}
	next := cloneCase(c)
	if err := Apply(next, patient, cmd, now, ev.MessageID); err != nil {
		s.log.Warn("inbound event does not apply", "eventId", ev.EventID, "caseId", string(ev.CaseID), "action", string(cmd.Action))
		return refused, nil
	}
	if ev.Kind == InboundFollowUp && !ev.At.IsZero() {
		next.Messages[len(next.Messages)-1].At = ev.At
	}
	next.Version++
	if err := tx.Update(next); err != nil {
		return refused, err
	}
	return applied, tx.AppendAudit(s.entry(now, patient, cmd.Action, next, audit.Allowed))
}

// conflict logs an event that names a case or message already applied
// here with other content, by event and case id only, and reports it.
func (s *Service) conflict(ev Inbound) applyResult {
	s.log.Error("inbound event conflicts with what is stored; skipped", "eventId", ev.EventID, "caseId", string(ev.CaseID))
	return conflicted
}

// sameSubmission reports whether a stored case and a fresh one made from
// a case.created event carry the same submission: what the patient wrote
// (type, patient, guardian, form answers, text). Only then is the event a
// repeat delivery.
func sameSubmission(old, fresh *Case) bool {
	if old.Type != fresh.Type || old.Patient != fresh.Patient || (old.Guardian == nil) != (fresh.Guardian == nil) ||
		(old.Guardian != nil && *old.Guardian != *fresh.Guardian) || !slices.Equal(old.Fields, fresh.Fields) ||
		len(old.Messages) == 0 || len(fresh.Messages) == 0 {
		return false
	}
	return old.Messages[0].Text == fresh.Messages[0].Text
}

// outboundFor returns what the patient side must learn of a staff command
// that moved a case from before to after, if anything: a message, or a
// status the patient sees. A reassignment changes nothing they see.
func outboundFor(before, after *Case, cmd Command, msgID string, now time.Time) (Outbound, bool) {
	o := Outbound{Key: msgID, CaseID: after.ID, At: now, Status: after.Status}
	switch cmd.Action {
	case SendAnswer:
		o.Kind = OutboundAnswer
	case SendPartial:
		o.Kind = OutboundPartialAnswer
	case SendCounter:
		o.Kind = OutboundCounterQuestion
	default:
		if before.Status == after.Status {
			return Outbound{}, false
		}
		o.Kind = OutboundStatus
		return o, true
	}
	last := after.Messages[len(after.Messages)-1]
	o.MessageID, o.Text, o.Signature, o.AuthorTitle = last.ID, last.Text, last.Signature, last.AuthorTitle
	return o, true
}

// PendingOutbound returns up to max queued changes, oldest first.
func (s *Service) PendingOutbound(ctx context.Context, max int) ([]Outbound, error) {
	var out []Outbound
	err := s.store.View(ctx, func(tx ReadTx) error {
		out = out[:0]
		return tx.Outbox(func(o Outbound) bool {
			out = append(out, o)
			return len(out) < max
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return out, nil
}

// ConfirmOutbound removes changes the central store has confirmed (accepted
// or already had). Unknown keys are ignored: a confirmation may repeat.
func (s *Service) ConfirmOutbound(ctx context.Context, keys []string) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		for _, k := range keys {
			if err := tx.Dequeue(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("confirm outbox: %w", err)
	}
	return nil
}
