package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
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
	At time.Time
	// Submission is the new case of an InboundCreated event; its ID is
	// CaseID. Its Fields become the case's answers as they are, not
	// copied: the caller does not change them after handing it over.
	Submission *Submission
	MessageID  string // InboundFollowUp
	Text       string // InboundFollowUp
	// TextChecked says that Text already passed the sync protocol's
	// checks (as Submission.TextsChecked for a new case: the uplink sets
	// it on every follow-up of a page its decoder validated): a valid
	// text of at most wire.MaxTextLen characters, no more than this
	// version takes, so it is not checked again. Not kept with a
	// quarantined event: a retry checks all.
	TextChecked bool `json:"-"`
	// SealRefusal says why a sealed event did not open here
	// ("altered", "wrong-unit", "retired-key", ...; "plain" for content in
	// plain text after the central store confirmed sealing): it carries its
	// routing only and is quarantined, never applied.
	SealRefusal string `json:",omitempty"`
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
	// OutboundAssignment says the case went to another member of staff
	// without a status change (a reassignment): AssigneeHSAID is set. The
	// central store keeps it for a restore of this store and shows the
	// patient nothing of it.
	OutboundAssignment OutboundKind = "assignment"
)

// carriesMessage says whether an item of kind k carries a staff message
// to the patient (its key is the message's id).
func (k OutboundKind) carriesMessage() bool {
	switch k {
	case OutboundAnswer, OutboundPartialAnswer, OutboundCounterQuestion, OutboundInitiated:
		return true
	}
	return false
}

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
	// AuthorHSAID is the HSA-ID of the member of staff who wrote the
	// message of a message or initiated item; AssigneeHSAID is the case's
	// assignee after the change, if it has one. Staff identifiers, not
	// shown to patients: the central store keeps them with its confirmed
	// items so that a gateway restored from a backup gets back who wrote
	// and who has each case (RecoverConfirmed). Empty in items queued
	// before they were kept.
	AuthorHSAID   string `json:",omitempty"`
	AssigneeHSAID string `json:",omitempty"`
	// ParkedAt is when the central store refused the change as a
	// conflict (its key or message id names other content there): it
	// stays queued, its case's later changes wait behind it, and it is
	// not sent again, across restarts, until UnparkOutbound releases it
	// (ParkOutbound). Zero: not parked.
	ParkedAt time.Time `json:",omitzero"`
}

// InitiatedCase is what the patient side learns of a case staff started
// with a patient, besides its first message.
type InitiatedCase struct {
	Type         casetype.Type
	Patient      Person // Name may be empty
	Subject      string
	ReplyAllowed bool
}

// ApplyReport counts what ApplyInbound did with a page of events.
type ApplyReport struct {
	Applied    int // events that changed a case or created one
	Duplicates int // events already applied (a repeat delivery)
	Refused    int // events that cannot apply (invalid, unknown case, illegal move): quarantined
	// Conflicts are events that name a case or a follow-up already applied
	// here but carry other content: not a repeat delivery. Nothing of them
	// applies: quarantined.
	Conflicts int
	// Quarantined counts the events of the page kept in the quarantine
	// (Refused and Conflicts), in the page's transaction.
	Quarantined int
	// Relaxed counts the new cases stored flagged: they fail a version's
	// rule of this clinicgw the central store does not hold (Case.Relaxed).
	Relaxed int
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
// content is a conflict. A conflict, and an event that cannot apply (an
// invalid case, a follow-up for an unknown case), is kept in the
// quarantine in the same transaction (logged by event and case id only),
// so that one bad event neither stops the sync nor is lost (see
// quarantine.go). A new case is judged by the central store's time of
// record (Inbound.At), not by this gateway's clock, and one that fails
// only a version's rule is stored flagged (Case.Relaxed).
func (s *Service) ApplyInbound(ctx context.Context, in []Inbound, cursor uint64) (ApplyReport, error) {
	return s.applyInbound(ctx, in, cursor, nil, nil)
}

// applyInbound is ApplyInbound, running also (when not nil) in the
// same transaction, before the cursor moves (ApplyChained).
// also is handed, for each event, the case record as it stands after the
// event if the event applied (nil otherwise).
// jr, when not nil, is the page's journal, whose records are being made
// (ApplyChained): it hands each new case's texts encoded to the store.
func (s *Service) applyInbound(ctx context.Context, in []Inbound, cursor uint64, jr *chainedJournal, also func(tx Tx, done []*Case) error) (ApplyReport, error) {
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
	var queues []string // the groups whose queues hold the cases the page changed
	created := 0
	var done []*Case
	if also != nil {
		done = make([]*Case, len(in))
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		rep, changed, owners, queues, created = ApplyReport{}, changed[:0], owners[:0], queues[:0], 0
		clear(done)
		for i, ev := range in {
			p.ready(i)
			res := refusedInvalid
			if p.invalid[i] == nil {
				var err error
				if res, err = s.applyOne(tx, ev, p.fresh[i], p.insert(i), jr.texts(i), now); err != nil {
					return fmt.Errorf("event %s: %w", ev.EventID, err)
				}
			} else if dup, err := retiredDuplicate(tx, ev); err != nil { // sealdup.go
				return fmt.Errorf("event %s: %w", ev.EventID, err)
			} else if dup {
				res = duplicate
			}
			switch res {
			case applied:
				rep.Applied++
				changed = append(changed, ev.CaseID)
				if ev.Kind == InboundCreated {
					created++
					if len(p.fresh[i].Relaxed) > 0 {
						rep.Relaxed++
					}
					queues = assignees(append(queues, p.fresh[i].Group)...) // routed on arrival (routeOf)
					if done != nil {
						done[i] = p.fresh[i]
					}
				} else if c, err := tx.Case(ev.CaseID); err == nil {
					owners = assignees(append(owners, c.Assignee)...)
					queues = assignees(append(queues, c.Group)...) // an event changes no case's group
					if done != nil {
						done[i] = c
					}
				}
				continue
			case duplicate:
				rep.Duplicates++
				continue
			case conflicted:
				rep.Conflicts++
			default:
				rep.Refused++
			}
			rep.Quarantined++
			if err := s.quarantine(tx, ev, res, p.invalid[i], cursor, now); err != nil {
				return fmt.Errorf("quarantine event %s: %w", ev.EventID, err)
			}
		}
		if also != nil {
			if err := also(tx, done); err != nil {
				return err
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
		s.onChange(Change{IDs: changed, Assignees: owners, Groups: queues})
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
	invalid []*ValidationError // nil: valid
	ins     []PreparedInsert   // the store's work for each fresh case (InsertPreparer); nil: none
	chunks  []chan struct{}    // closed when a chunk of prepChunk events is validated
	done    chan struct{}      // closed when the validating goroutine has returned
}

// prepareInbound validates the new cases among in, in order: a page of one
// chunk at once, a longer one by a goroutine that runs ahead of the
// caller. It is the only reader of s.rand meanwhile, so a deterministic
// source yields the same ids as it would in one goroutine.
func (s *Service) prepareInbound(in []Inbound, now time.Time) *prepared {
	n := (len(in) + prepChunk - 1) / prepChunk
	p := &prepared{fresh: make([]*Case, len(in)), invalid: make([]*ValidationError, len(in)), done: make(chan struct{})}
	pre, _ := s.store.(InsertPreparer)
	if pre != nil {
		p.ins = make([]PreparedInsert, len(in))
	}
	validate := func(from, to int) {
		for i := from; i < to; i++ {
			p.fresh[i], p.invalid[i] = s.validateInbound(in[i], now)
			if pre != nil && p.fresh[i] != nil {
				p.ins[i] = pre.PrepareInsert(p.fresh[i])
			}
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

// insert is the store's prepared work for event i's new case; nil if none.
func (p *prepared) insert(i int) PreparedInsert {
	if p.ins == nil {
		return nil
	}
	return p.ins[i]
}

// ready waits until event i is validated.
func (p *prepared) ready(i int) {
	if p.chunks != nil && i%prepChunk == 0 {
		<-p.chunks[i/prepChunk]
	}
}

// wait waits for the validating goroutine to return.
func (p *prepared) wait() { <-p.done }

// inboundRef is the time a central event's dates of birth are judged at:
// its time of record, with wire.ClockSkewTolerance; the arrival here when the
// event carries none.
func inboundRef(at, now time.Time) time.Time {
	if at.IsZero() {
		return now
	}
	return at.Add(wire.ClockSkewTolerance)
}

// validateInbound returns the new case a case.created event makes, or why
// it is invalid (logged by event id). Other events need no case. The case
// is judged by the central store's time of record, and what fails only a
// version's rule is accepted, flagged (Case.Relaxed).
func (s *Service) validateInbound(ev Inbound, now time.Time) (*Case, *ValidationError) {
	if ev.SealRefusal != "" {
		s.log.Warn("inbound sealed event refused: it does not open", "eventId", ev.EventID, "why", ev.SealRefusal)
		return nil, &ValidationError{Field: "sealed." + ev.SealRefusal, Reason: "does not open"}
	}
	if ev.Kind != InboundCreated {
		return nil, nil
	}
	if ev.Submission == nil {
		return nil, &ValidationError{Field: "case", Reason: "missing"}
	}
	sub := *ev.Submission
	sub.ID = ev.CaseID
	relaxed, err := checkSubmission(&sub, inboundRef(ev.At, now), true, sub.TextsChecked)
	var c *Case
	if err == nil {
		c, err = s.buildCase(sub, now, true)
	}
	if err != nil {
		ve, ok := errors.AsType[*ValidationError](err)
		if !ok {
			ve = &ValidationError{Field: "case", Reason: "cannot be built"}
		}
		s.log.Warn("inbound case refused", "eventId", ev.EventID, "field", ve.Field)
		return nil, ve
	}
	if len(relaxed) > 0 {
		c.Relaxed = relaxed
		s.log.Warn("inbound case stored flagged: it fails a rule of this version the central store does not hold",
			"eventId", ev.EventID, "caseId", string(ev.CaseID), "fields", relaxed)
	}
	return c, nil
}

type applyResult int

const (
	applied applyResult = iota
	duplicate
	refusedInvalid       // a new case that fails validation
	refusedUnknownCase   // a follow-up or withdrawal of a case not here
	refusedNotApplicable // the workflow refuses the step
	refusedUnknownKind   // an event kind this version does not know
	conflicted           // names a case or message applied here, with other content
)

// applyOne applies one event in tx. An event that cannot apply is logged
// by event id and reported as refused.
// texts, if not nil, are the new case's texts as the event holds them
// encoded (WireTexts).
func (s *Service) applyOne(tx Tx, ev Inbound, fresh *Case, prep PreparedInsert, texts *WireTexts, now time.Time) (applyResult, error) {
	patient := Actor{Kind: Patient}
	if ev.Kind == InboundCreated {
		// fresh is the store's to keep: nothing here changes it after
		// validation, and a second run of fn hands over the same value.
		// The insert's own check that the id is free finds a repeat
		// delivery: a new case's id is looked up once.
		err := insertPrepared(tx, fresh, prep, texts)
		if errors.Is(err, ErrExists) {
			old, err := tx.Case(ev.CaseID)
			if err != nil {
				return refusedInvalid, err
			}
			if !sameSubmission(old, fresh) {
				return s.conflict(ev), nil
			}
			return duplicate, nil
		}
		if err != nil {
			return refusedInvalid, err
		}
		return applied, tx.AppendAudit(s.entry(now, Actor{Kind: System}, Receive, fresh, audit.Allowed))
	}
	var cmd Command
	switch ev.Kind {
	case InboundFollowUp:
		cmd = Command{Action: FollowUp, Text: ev.Text, SentAt: ev.At, textChecked: ev.TextChecked}
	case InboundWithdrawn:
		cmd = Command{Action: Withdraw}
	default:
		return refusedUnknownKind, nil
	}
	c, err := tx.Case(ev.CaseID)
	if errors.Is(err, ErrNotFound) || !validID(ev.CaseID) {
		return refusedUnknownCase, nil
	}
	if err != nil {
		return refusedUnknownCase, err
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
	relaxed := ""
	// A text the protocol checked is within this version's limit (the
	// protocol's is no larger): only another is checked again.
	if ve, ok := textErrorUnless(ev.TextChecked, ev.Text).(*ValidationError); ok && ev.Kind == InboundFollowUp && ve.version {
		// Longer than this version's limit, which the central store does
		// not hold: kept whole, the case flagged (Case.Relaxed).
		cmd.Text, relaxed = fitText(ev.Text), fmt.Sprintf("messages[%d].text", len(c.Messages))
	}
	if err := Apply(next, patient, cmd, now, ev.MessageID); err != nil {
		s.log.Warn("inbound event does not apply", "eventId", ev.EventID, "caseId", string(ev.CaseID), "action", string(cmd.Action))
		return refusedNotApplicable, nil
	}
	if ev.Kind == InboundFollowUp && !ev.At.IsZero() {
		next.Messages[len(next.Messages)-1].At = ev.At
	}
	if relaxed != "" {
		next.Messages[len(next.Messages)-1].Text = ev.Text
		next.Relaxed = append(next.Relaxed, relaxed)
		s.log.Warn("inbound follow-up stored flagged: longer than this version allows", "eventId", ev.EventID, "caseId", string(ev.CaseID))
	}
	next.Version++
	if err := tx.Update(next); err != nil {
		return refusedNotApplicable, err
	}
	return applied, tx.AppendAudit(s.entry(now, patient, cmd.Action, next, audit.Allowed))
}

// textErrorUnless is textError for a follow-up's text, nil if checked.
func textErrorUnless(checked bool, text string) error {
	if checked {
		return nil
	}
	return textError("text", text, MaxTextRunes, true)
}

// insertPrepared inserts c in tx with prep, the work its store prepared,
// where the transaction takes it (PreparedInserter), and texts, its
// texts encoded, where it takes them (WireTextsTaker).
func insertPrepared(tx Tx, c *Case, prep PreparedInsert, texts *WireTexts) error {
	if wt, ok := tx.(WireTextsTaker); ok && texts != nil {
		wt.TakeWireTexts(c, texts)
	}
	if pi, ok := tx.(PreparedInserter); ok && prep != nil {
		return pi.InsertPrepared(c, prep)
	}
	return tx.Insert(c)
}

// conflict logs an event that names a case or message already applied
// here with other content, by event and case id only, and reports it.
func (s *Service) conflict(ev Inbound) applyResult {
	s.log.Error("inbound event conflicts with what is stored; quarantined", "eventId", ev.EventID, "caseId", string(ev.CaseID))
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

// outboundFor returns what the central store must learn of a staff
// command that moved a case from before to after, if anything: a message,
// or a status the patient sees (with the assignee after it), or, when
// only the assignee changed (a reassignment), an assignment item the
// central store keeps for a restore of this store and shows the patient
// nothing of. Every change of assignee is so in the outbox.
func outboundFor(before, after *Case, cmd Command, msgID string, now time.Time) (Outbound, bool) {
	o := Outbound{Key: msgID, CaseID: after.ID, At: now, Status: after.Status, AssigneeHSAID: after.Assignee}
	switch cmd.Action {
	case SendAnswer:
		o.Kind = OutboundAnswer
	case SendPartial:
		o.Kind = OutboundPartialAnswer
	case SendCounter:
		o.Kind = OutboundCounterQuestion
	default:
		switch {
		case before.Status != after.Status:
			o.Kind = OutboundStatus
		case before.Assignee != after.Assignee && after.Assignee != "":
			o.Kind, o.Status = OutboundAssignment, ""
		default:
			return Outbound{}, false
		}
		return o, true
	}
	last := after.Messages[len(after.Messages)-1]
	o.MessageID, o.Text, o.Signature, o.AuthorTitle, o.AuthorHSAID = last.ID, last.Text, last.Signature, last.AuthorTitle, last.Author
	return o, true
}

// ParkOutbound marks the queued change with key as refused by the central
// store as a conflict (Outbound.ParkedAt), durably, in its place in the
// outbox; it reports whether it was queued and not yet parked.
func (s *Service) ParkOutbound(ctx context.Context, key string) (bool, error) {
	now := s.clock.Now()
	parked := false
	err := s.store.Update(ctx, func(tx Tx) error {
		parked = false
		o, ok, err := tx.OutboxItem(key)
		if err != nil || !ok || !o.ParkedAt.IsZero() {
			return err
		}
		o.ParkedAt, parked = now, true
		return tx.Requeue(o)
	})
	if err != nil {
		return false, fmt.Errorf("park outbox item %s: %w", key, err)
	}
	return parked, nil
}

// UnparkOutbound releases every parked change (after region IT settled
// the conflict, e.g. with the central store's operator): each is sent
// again, once, at the next push. It returns how many it released.
func (s *Service) UnparkOutbound(ctx context.Context) (int, error) {
	n := 0
	err := s.store.Update(ctx, func(tx Tx) error {
		n = 0
		var parked []Outbound
		if err := tx.Outbox(func(o Outbound) bool {
			if !o.ParkedAt.IsZero() {
				parked = append(parked, o)
			}
			return true
		}); err != nil {
			return err
		}
		for _, o := range parked {
			o.ParkedAt = time.Time{}
			if err := tx.Requeue(o); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("release parked outbox items: %w", err)
	}
	return n, nil
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
// or already had), keeping each among the retained items for
// ServiceConfig.SyncRetention (continuity.go). Unknown keys are ignored: a
// confirmation may repeat.
//
// The cases whose messages were confirmed are reported to OnChange, so
// that a case page showing "saved — will be sent" turns to "sent" without
// a reload.
func (s *Service) ConfirmOutbound(ctx context.Context, keys []string) error {
	now := s.clock.Now()
	var sent []ID
	err := s.store.Update(ctx, func(tx Tx) error {
		sent = sent[:0]
		for _, k := range keys {
			o, ok, err := s.retain(tx, k, now)
			if err != nil {
				return err
			}
			if ok && o.Kind.carriesMessage() && !slices.Contains(sent, o.CaseID) {
				sent = append(sent, o.CaseID)
			}
			if err := tx.Dequeue(k); err != nil {
				return err
			}
		}
		return s.prune(tx)
	})
	if err != nil {
		return fmt.Errorf("confirm outbox: %w", err)
	}
	if len(sent) > 0 {
		s.onChange(Change{IDs: sent})
	}
	return nil
}

// Unsent reports which of the given outbox keys (a staff message's id is
// the key of the item that carries it) are still queued: not yet
// confirmed by the central store. Keys not queued are left out. It reads
// one outbox item per key and nothing about the patient.
func (s *Service) Unsent(ctx context.Context, keys []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.store.View(ctx, func(tx ReadTx) error {
		clear(out)
		for _, k := range keys {
			if _, queued, err := tx.OutboxItem(k); err != nil {
				return err
			} else if queued {
				out[k] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return out, nil
}
