package uplink

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
)

// neutralTitle is the author title sent for a staff message queued without
// one (the wire requires a title, and never an HSA-ID). A queued item keeps
// its title, so an item's digest does not change between retries.
const neutralTitle = "Vårdpersonal"

// heldItem is an outbox item held back after a rejection.
type heldItem struct {
	until time.Time // it is tried again from then on
	// parked marks an item the central store refused as a conflict (its
	// key or message id names other content there): sending it again can
	// only fail the same way, so it is not sent again. The parking is kept
	// in the store (cases.Outbound.ParkedAt), so a restart does not send
	// it again either. It stays in the outbox, and its case's later items
	// wait behind it, for a person to resolve (then released:
	// cases.Service.UnparkOutbound).
	parked bool
	caseID cases.ID
}

// isConflict reports whether a rejection is a conflict: the central store
// holds other content under the item's idempotency key or message id.
func isConflict(p *wire.Problem) bool {
	return p != nil && (p.Status == http.StatusConflict || p.Type == wire.ProblemConflict)
}

// setHeld records the held-back and parked items in the status; the caller
// holds no lock.
func (u *Uplink) setHeld(depth int) {
	rejected := 0
	var parked []cases.ID
	for _, h := range u.held {
		if h.parked {
			parked = append(parked, h.caseID)
		} else {
			rejected++
		}
	}
	n := len(parked)
	slices.Sort(parked)
	parked = slices.Compact(parked)
	u.mu.Lock()
	u.st.OutboxDepth, u.st.Rejected, u.st.Conflicts, u.st.ConflictCases = depth, rejected, n, parked
	u.mu.Unlock()
}

// pushLoop pushes at start, on Kick, after a stream (re)connect, every
// PushInterval as a safety net, and after a failure with backoff.
func (u *Uplink) pushLoop(ctx context.Context) {
	attempt := 0
	for {
		err := u.pushAll(ctx)
		if ctx.Err() != nil {
			return
		}
		wait := u.cfg.PushInterval
		if err != nil {
			u.fail(err)
			wait = u.retryWait(attempt, err)
			u.log.Warn("push failed; will retry", "attempt", attempt, "waitMs", wait.Milliseconds(), "err", err)
			attempt++
		} else {
			attempt = 0
		}
		if !u.sleep(ctx, wait, u.pushWake) {
			return
		}
	}
}

// pushAll publishes the forms if due, then pushes outbox batches until
// nothing more can go.
func (u *Uplink) pushAll(ctx context.Context) error {
	if u.pausePush.Load() || u.recovering.Load() {
		return nil // the reconciliation (or the recovery after a restore) first; it wakes the push when done
	}
	var formsErr error
	if forms, n, gen := u.formsToPublish(); forms != nil && u.formsDue.Swap(false) && gen != u.formsConflict.Load() {
		var se *statusError
		if formsErr = u.putForms(ctx, forms); errors.As(formsErr, &se) && se.status == http.StatusConflict {
			// A form changed without a raised version: the same set can only
			// be refused again. It waits for the next SetForms.
			u.formsConflict.Store(gen)
			u.mu.Lock()
			u.st.FormsConflict = true
			u.mu.Unlock()
			u.log.Error("the central store refused the unit's forms: a form changed without a raised version; not published again until the forms change")
			formsErr = nil
		} else if formsErr != nil {
			u.formsDue.Store(true)
		} else {
			u.formsPublished.Store(true)
			u.formsTaken(gen)
			u.log.Info("forms published", "forms", n)
		}
	}
	contactErr := u.publishContact(ctx)
	bookingErr := u.syncBookings(ctx)
	for {
		progressed, err := u.pushRound(ctx)
		if err != nil || !progressed {
			return errors.Join(err, formsErr, contactErr, bookingErr)
		}
	}
}

// pushRound sends one batch and confirms what the central store took. It
// reports whether it sent anything.
func (u *Uplink) pushRound(ctx context.Context) (bool, error) {
	n := wire.MaxOutboxItems + len(u.held) // held items must not crowd out the others
	pending, err := u.cfg.Cases.PendingOutbound(ctx, n)
	if err != nil {
		return false, err
	}
	now := u.cfg.Clock.Now()
	if len(pending) < n { // the whole outbox: forget held items that left it
		queued := make(map[string]bool, len(pending))
		for _, o := range pending {
			queued[o.Key] = true
		}
		for k := range u.held {
			if !queued[k] {
				delete(u.held, k)
			}
		}
	}
	batch := u.batchOf(pending, now)
	u.setHeld(len(pending))
	if len(batch.Items) == 0 {
		return false, nil
	}
	res, err := u.postOutbox(ctx, batch)
	if err != nil {
		return false, err
	}
	u.fault(FaultPushed)
	var confirm []string
	dups := 0
	for i, r := range res.Results {
		it := batch.Items[i]
		switch r.Status {
		case wire.ItemAccepted, wire.ItemDuplicate:
			if r.Status == wire.ItemDuplicate {
				dups++
			}
			confirm = append(confirm, it.IdempotencyKey)
			delete(u.held, it.IdempotencyKey)
		case wire.ItemRejected:
			if isConflict(r.Problem) {
				u.held[it.IdempotencyKey] = heldItem{parked: true, caseID: cases.ID(it.CaseID)}
				u.log.Error("outbox item conflicts with the central store; parked, not sent again",
					"caseId", it.CaseID, "key", it.IdempotencyKey)
				if _, err := u.cfg.Cases.ParkOutbound(ctx, it.IdempotencyKey); err != nil {
					// Parked for this run; the next start sends it once more.
					u.log.Error("keeping the parked outbox item in the store failed", "key", it.IdempotencyKey, "err", err)
				}
				continue
			}
			fallthrough
		default:
			u.held[it.IdempotencyKey] = heldItem{until: now.Add(u.cfg.MaxBackoff)}
			typ, status := "about:blank", 0
			if r.Problem != nil {
				typ, status = r.Problem.Type, r.Problem.Status
			}
			u.log.Error("outbox item rejected by the central store; held back",
				"key", it.IdempotencyKey, "caseId", it.CaseID, "problem", typ, "problemStatus", status,
				"retryInMs", u.cfg.MaxBackoff.Milliseconds())
		}
	}
	if len(confirm) > 0 {
		if err := u.cfg.Cases.ConfirmOutbound(ctx, confirm); err != nil {
			return false, err // the next round sends them again: duplicates, then confirmed
		}
		u.fault(FaultConfirmed)
	}
	u.log.Debug("outbox pushed", "items", len(batch.Items), "confirmed", len(confirm),
		"duplicates", dups, "rejected", len(batch.Items)-len(confirm))
	u.mu.Lock()
	u.st.LastPush = now
	u.mu.Unlock()
	u.setHeld(len(pending) - len(confirm))
	// Every item sent either left the outbox or is held back (and skipped
	// by the next round): go on while there was anything to send, so that
	// items behind a full batch of rejected ones are not left waiting for
	// the next push interval.
	return true, nil
}

// batchOf picks the items to send now from the pending ones, oldest first:
// at most one per case (a case's next item waits until its previous one is
// confirmed), none of a case behind a held-back item, and not more than
// wire.MaxOutboxItems. An item the wire would refuse is held back as if
// rejected. Whom on the unit's staff an item names goes beside it
// (staffOf).
func (u *Uplink) batchOf(pending []cases.Outbound, now time.Time) wire.OutboxBatch2 {
	var batch wire.OutboxBatch2
	busy := make(map[cases.ID]bool)
	for _, o := range pending {
		if len(batch.Items) == wire.MaxOutboxItems {
			break
		}
		if busy[o.CaseID] {
			continue
		}
		busy[o.CaseID] = true
		if !o.ParkedAt.IsZero() { // parked in the store, before this run
			u.held[o.Key] = heldItem{parked: true, caseID: o.CaseID}
			continue
		}
		if h, ok := u.held[o.Key]; ok && (h.parked || now.Before(h.until)) {
			continue
		}
		it, err := itemOf(o)
		if err != nil {
			u.held[o.Key] = heldItem{until: now.Add(u.cfg.MaxBackoff)}
			u.log.Error("outbox item cannot be sent: it breaks the sync protocol's rules; held back",
				"key", o.Key, "caseId", string(o.CaseID), "problem", wire.ProblemOf(err).Type)
			continue
		}
		batch.Items = append(batch.Items, it)
		if st, ok := staffOf(o); ok {
			batch.Staff = append(batch.Staff, st)
		}
	}
	return batch
}

// staffOf is whom on the unit's staff a queued change names, for the
// central store to give back after a restore of this store: each HSA-ID
// the wire takes; false when it names none.
func staffOf(o cases.Outbound) (wire.ItemStaff, bool) {
	st := wire.ItemStaff{IdempotencyKey: o.Key}
	if (wire.ItemStaff{IdempotencyKey: o.Key, AuthorHSAID: o.AuthorHSAID}).Validate() == nil {
		st.AuthorHSAID = o.AuthorHSAID
	}
	if (wire.ItemStaff{IdempotencyKey: o.Key, AssigneeHSAID: o.AssigneeHSAID}).Validate() == nil {
		st.AssigneeHSAID = o.AssigneeHSAID
	}
	return st, st.AuthorHSAID != "" || st.AssigneeHSAID != ""
}

// itemOf converts a queued change to an outbox item and checks it against
// the wire's rules.
func itemOf(o cases.Outbound) (wire.OutboxItem, error) {
	it := wire.OutboxItem{
		IdempotencyKey: o.Key,
		CaseID:         string(o.CaseID),
		Kind:           wire.OutboxKind(o.Kind),
		At:             o.At,
	}
	switch o.Kind {
	case cases.OutboundStatus:
		it.Status = wire.CaseStatus(o.Status)
	case cases.OutboundAssignment:
		// Only the assignee, beside the item (staffOf): checked with it.
		st, _ := staffOf(o)
		return it, (wire.OutboxBatch2{Items: []wire.OutboxItem{it}, Staff: []wire.ItemStaff{st}}).Validate()
	default:
		title := o.AuthorTitle
		if title == "" {
			title = neutralTitle
		}
		it.Message = &wire.StaffMessage{ID: o.MessageID, Text: o.Text, Signature: o.Signature, AuthorTitle: title}
	}
	if in := o.Initiated; in != nil {
		it.Case = &wire.InitiatedCase{Type: string(in.Type), PatientPNR: string(in.Patient.PNR),
			PatientName: in.Patient.Name, Subject: in.Subject, ReplyAllowed: in.ReplyAllowed}
	}
	return it, it.Validate()
}
