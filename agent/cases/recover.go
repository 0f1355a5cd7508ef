package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/sync/wire/hsaid"
)

// After the gateway's store was restored from a backup, what staff did
// after the backup is gone from it, but the central store has what it
// confirmed. The uplink fetches those items (the sync protocol's confirmed
// items) and RecoverConfirmed puts back the ones this store lacks, so
// staff see the answers, the statuses and the cases they started again.

// RecoverReport counts what RecoverConfirmed did with a batch of items.
type RecoverReport struct {
	Applied int // items that changed a case or made one
	Known   int // items this store has (by key, message id or case id)
	// Missing are items for a case this store does not hold (the central
	// store has it; a pull before brings it): nothing applied, logged.
	Missing int
}

// RecoverConfirmed applies items the central store confirmed that this
// store lacks, in the order given (the order the central store accepted
// them), in one transaction, as the system: an item whose key this store
// has (queued, or retained as confirmed) or whose message or started case
// it holds changes nothing; a message is put back into its case with its
// id, text, signature, title and time, and the case takes the status the
// item gave it unless the patient acted later (a later message from the
// patient, or a withdrawal); a status item sets its status the same way;
// a case staff started is made again. An item that names the case's
// assignee (Outbound.AssigneeHSAID) gives the case back to that clinician,
// and an assigned status with one is put back; without one (an item
// queued before assignees were kept) the case stays in the inbox; a
// received status (taken back, handed back) leaves it unassigned; an
// assignment item (a reassignment) gives the case to whom it names and
// changes nothing else. A
// message, or a case staff started, is put back with the member of staff
// who wrote it (Outbound.AuthorHSAID), or the system when the item does
// not say. Each applied item adds a history event and an access-log
// record (RecoverFromCentral, by the system) and is retained as
// confirmed, so that running it again changes nothing and a
// reconciliation with a central store that went back sends it again.
func (s *Service) RecoverConfirmed(ctx context.Context, items []Outbound) (RecoverReport, error) {
	now := s.clock.Now()
	sys := Actor{Kind: System}
	var rep RecoverReport
	var changed []ID
	err := s.store.Update(ctx, func(tx Tx) error {
		rep, changed = RecoverReport{}, changed[:0]
		known := map[string]bool{}
		var derr error
		if err := tx.SyncLog(LogConfirmed, 0, func(_ uint64, rec []byte) bool {
			var r Retained
			if derr = json.Unmarshal(rec, &r); derr != nil {
				return false
			}
			known[r.Item.Key] = true
			return true
		}); err != nil || derr != nil {
			return fmt.Errorf("read the retained outbox: %w", cmpErr(err, derr))
		}
		for _, o := range items {
			if known[o.Key] {
				rep.Known++
				continue
			}
			if _, queued, err := tx.OutboxItem(o.Key); err != nil {
				return err
			} else if queued {
				rep.Known++
				continue
			}
			c, res, err := s.recoverOne(tx, o, now)
			if err != nil {
				return fmt.Errorf("recover item %s: %w", o.Key, err)
			}
			switch res {
			case applied:
				rep.Applied++
				changed = append(changed, c.ID)
				if err := tx.AppendAudit(s.entry(now, sys, RecoverFromCentral, c, audit.Allowed)); err != nil {
					return err
				}
			case duplicate:
				rep.Known++
			default:
				rep.Missing++
				s.log.Warn("a confirmed item for a case this store does not hold was not recovered", "caseId", string(o.CaseID), "key", o.Key)
				continue
			}
			b, err := json.Marshal(Retained{Item: o, ConfirmedAt: now})
			if err != nil {
				return fmt.Errorf("retain recovered item %s: %w", o.Key, err)
			}
			if err := tx.PutSyncLog(LogConfirmed, 0, b); err != nil {
				return err
			}
			known[o.Key] = true
		}
		return nil
	})
	if err != nil {
		return RecoverReport{}, fmt.Errorf("recover confirmed items: %w", err)
	}
	if len(changed) > 0 {
		s.onChange(Change{IDs: changed})
	}
	return rep, nil
}

// recoveredKind is the message kind of each message item.
var recoveredKind = map[OutboundKind]MessageKind{
	OutboundAnswer: Answer, OutboundPartialAnswer: PartialAnswer, OutboundCounterQuestion: CounterQuestion,
}

// recoveredStatus is the status each message item leaves a case in.
var recoveredStatus = map[OutboundKind]Status{
	OutboundAnswer: Answered, OutboundPartialAnswer: PartiallyAnswered, OutboundCounterQuestion: WaitingForPatient,
}

// recoverOne applies one item in tx: applied (the case as stored now),
// duplicate (the store has it) or refusedInvalid (its case is not here).
func (s *Service) recoverOne(tx Tx, o Outbound, now time.Time) (*Case, applyResult, error) {
	sys := Actor{Kind: System}.Name()
	got, err := tx.Case(o.CaseID)
	if o.Kind == OutboundInitiated {
		switch {
		case err == nil:
			return got, duplicate, nil
		case !errors.Is(err, ErrNotFound):
			return nil, 0, err
		case o.Initiated == nil:
			return nil, refusedInvalid, nil
		}
		status := Answered
		if o.Initiated.ReplyAllowed {
			status = WaitingForPatient
		}
		author, assignee := staffOf(o)
		c := &Case{ID: o.CaseID, Unit: s.unit, Type: o.Initiated.Type, Patient: o.Initiated.Patient, Status: status, Assignee: assignee,
			SentAt: o.At, ReceivedAt: o.At, Subject: o.Initiated.Subject, InitiatedBy: author, NoReply: !o.Initiated.ReplyAllowed, Version: 1,
			Messages: []Message{{ID: o.MessageID, Kind: StaffFirst, Author: author, Text: o.Text, Signature: o.Signature,
				AuthorTitle: o.AuthorTitle, At: o.At}},
			History: []Event{{At: now, Actor: sys, Action: RecoverFromCentral, To: status, Assignee: assignee}},
		}
		return c, applied, tx.Insert(c)
	}
	if errors.Is(err, ErrNotFound) {
		return nil, refusedInvalid, nil
	}
	if err != nil {
		return nil, 0, err
	}
	c := cloneCase(got)
	to := o.Status
	author, assignee := staffOf(o)
	if o.Kind == OutboundAssignment {
		// A reassignment: the case goes to whom the item names; nothing
		// else of it changes.
		if assignee == "" {
			return nil, refusedInvalid, nil
		}
		if c.Assignee == assignee {
			return got, duplicate, nil
		}
		c.Assignee = assignee
		c.History = append(slices.Clone(c.History), Event{At: now, Actor: sys, Action: RecoverFromCentral, From: c.Status, To: c.Status, Assignee: assignee})
		c.Version++
		return c, applied, tx.Update(c)
	}
	if kind, ok := recoveredKind[o.Kind]; ok {
		if slices.ContainsFunc(c.Messages, func(m Message) bool { return m.ID == o.MessageID }) {
			return got, duplicate, nil
		}
		m := Message{ID: o.MessageID, Kind: kind, Author: author, Text: o.Text, Signature: o.Signature, AuthorTitle: o.AuthorTitle, At: o.At}
		i := len(c.Messages)
		for i > 0 && c.Messages[i-1].At.After(o.At) {
			i--
		}
		c.Messages = slices.Insert(slices.Clone(c.Messages), i, m)
		to = recoveredStatus[o.Kind]
	} else if o.Kind != OutboundStatus || !slices.Contains(statuses, to) {
		return nil, refusedInvalid, nil
	}
	// The patient's later action stands: a withdrawal, or a message after
	// the item. An assignment comes back when the item names the assignee;
	// without one the case stays where it is (in the inbox) for the
	// distributor.
	later := c.Status == Withdrawn || slices.ContainsFunc(c.Messages, func(m Message) bool {
		return m.Kind == FromPatient && m.At.After(o.At)
	}) || to == Assigned && assignee == ""
	from := c.Status
	switch {
	case assignee != "":
		c.Assignee = assignee
	case o.Kind == OutboundStatus && to == Received:
		c.Assignee = "" // taken back or handed back: the inbox's again
	}
	if !later {
		c.Status = to
		switch to {
		case Answered:
			if c.AnsweredAt.IsZero() {
				c.AnsweredAt = o.At
			}
		case Closed:
			c.ClosedAt = o.At
		}
	}
	c.History = append(slices.Clone(c.History), Event{At: now, Actor: sys, Action: RecoverFromCentral, From: from, To: c.Status, Assignee: assignee})
	c.Version++
	return c, applied, tx.Update(c)
}

// staffOf is the author and the assignee an item names: the author is the
// system, the assignee empty, when the item does not name a member of
// staff by a valid HSA-ID.
func staffOf(o Outbound) (author, assignee string) {
	staff := func(s string) bool {
		return hsaid.Valid(s) && s != string(System) && s != string(Patient) && s != string(Staff)
	}
	author = Actor{Kind: System}.Name()
	if staff(o.AuthorHSAID) {
		author = o.AuthorHSAID
	}
	if staff(o.AssigneeHSAID) {
		assignee = o.AssigneeHSAID
	}
	return author, assignee
}
