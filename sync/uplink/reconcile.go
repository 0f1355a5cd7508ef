package uplink

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"clinicgw/agent/cases"
	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// ReconcileReport counts what a reconciliation did.
type ReconcileReport struct {
	// Common is the seq of the last event both ends hold: the cursor the
	// gateway pulls from afterwards.
	Common uint64
	// GivenBack counts the journal's events after Common given back to the
	// central store; Restored of them it did not have (the rest it had);
	// Refused it refused (logged by event id).
	GivenBack, Restored, Refused int
	// Resent counts the confirmed outbox items sent again; Recovered of
	// them the central store no longer had; ResendRefused it refused.
	Resent, Recovered, ResendRefused int
	// Unreachable is true when the journal did not reach back to Common:
	// events before its oldest entry could not be given back.
	Unreachable bool
}

// Incomplete reports whether the reconciliation could not give back
// everything: the central store refused an event or an outbox item, or
// the journal did not reach back to the common event. Region IT must look
// (the log names the cases).
func (r ReconcileReport) Incomplete() bool {
	return r.Refused > 0 || r.ResendRefused > 0 || r.Unreachable
}

// journalLinks are the seqs and links of the journal, oldest first.
type journalLinks struct {
	seqs  []uint64
	links map[uint64]wire.Link
}

// reconcile brings the central store and the gateway together after brk:
// it finds the last event both hold, gives back the journal's events
// after it, sends again every retained (confirmed) outbox item, and moves
// the cursor to the common event, so that the central store's events
// after it (new ones with reused seqs, and those given back) are pulled.
// It loses nothing: run again after a failure, it does the same, and the
// central store answers what it has as duplicates.
func (u *Uplink) reconcile(ctx context.Context, brk *breakError) error {
	rep := ReconcileReport{}
	jl, err := u.journalLinks(ctx)
	if err != nil {
		return err
	}
	common, link, err := u.commonEvent(ctx, jl, brk)
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	rep.Common = common
	if len(jl.seqs) > 0 && common < jl.seqs[0]-1 {
		rep.Unreachable = true
	} else if len(jl.seqs) == 0 && brk.cursor > common {
		rep.Unreachable = true
	}
	if err := u.giveBack(ctx, common, &rep); err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	if err := u.resend(ctx, &rep); err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	head := cases.SyncHead{Seq: common, Link: link, Incarnation: brk.incarnation}
	if err := u.cfg.Cases.ResetSync(ctx, head); err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	// Logged before the status shows it, so that whoever sees the status
	// finds the log line too.
	log := u.log.Info
	if rep.Incomplete() {
		log = u.log.Error
	}
	log("reconciled with the central store", "common", rep.Common, "givenBack", rep.GivenBack, "restored", rep.Restored,
		"refused", rep.Refused, "resent", rep.Resent, "recovered", rep.Recovered, "resendRefused", rep.ResendRefused,
		"journalTooShort", rep.Unreachable)
	u.mu.Lock()
	u.st.Cursor = common
	u.st.Continuity = ContinuityOK
	u.st.Reconciliations++
	u.st.LastReconcile = rep
	u.mu.Unlock()
	u.pausePush.Store(false)
	wake(u.pushWake)
	u.recheckSealingKey("reconciled")
	return nil
}

// journalLinks reads the journal's seqs and links.
func (u *Uplink) journalLinks(ctx context.Context) (journalLinks, error) {
	jl := journalLinks{links: map[uint64]wire.Link{}}
	after := uint64(0)
	for {
		es, err := u.cfg.Cases.JournalLinks(ctx, after, wire.MaxInboxLimit)
		if err != nil {
			return jl, fmt.Errorf("reconcile: %w", err)
		}
		for _, e := range es {
			jl.seqs = append(jl.seqs, e.Seq)
			jl.links[e.Seq] = e.Link
			after = e.Seq
		}
		if len(es) < wire.MaxInboxLimit {
			return jl, nil
		}
	}
}

// commonEvent finds the last event the central store holds with the link
// the journal has for it: a binary search over the journal (the links of
// two chains agree up to a point and never after it), one inbox page of
// one event per probe. It returns 0 and the central store's genesis link
// when none agrees.
func (u *Uplink) commonEvent(ctx context.Context, jl journalLinks, brk *breakError) (uint64, wire.Link, error) {
	var probeErr error
	agrees := func(seq uint64) bool {
		if probeErr != nil {
			return false
		}
		page, err := u.getInbox(ctx, wire.InboxQuery{After: seq, Limit: 1})
		if err != nil {
			probeErr = err
			return false
		}
		return !page.Behind() && page.Chain.Base == jl.links[seq].String()
	}
	// The seqs not above the central store's head that agree form a prefix.
	i := sort.Search(len(jl.seqs), func(i int) bool { return jl.seqs[i] > brk.head || !agrees(jl.seqs[i]) })
	if probeErr != nil {
		return 0, wire.Link{}, probeErr
	}
	if i > 0 {
		s := jl.seqs[i-1]
		return s, jl.links[s], nil
	}
	return 0, wire.Genesis(brk.incarnation), nil
}

// giveBack sends the journal's events after common to the central store.
func (u *Uplink) giveBack(ctx context.Context, common uint64, rep *ReconcileReport) error {
	after := common
	epochsPut := map[seal.EpochID]bool{}
	for {
		es, err := u.cfg.Cases.Journal(ctx, after, wire.MaxInboxLimit)
		if err != nil {
			return err
		}
		if len(es) == 0 {
			return nil
		}
		var batch wire.ReconcileBatch
		size := 0
		ids := map[string]bool{}
		for _, e := range es {
			if size+len(e.Event) > wire.MaxBodyBytes/2 && len(batch.Events) > 0 {
				break
			}
			after = e.Seq
			var ev wire.Event
			if err := json.Unmarshal(e.Event, &ev); err != nil {
				return fmt.Errorf("journal entry %d: %w", e.Seq, err)
			}
			if ids[ev.ID] { // a central store that sent an event twice: once is enough
				continue
			}
			ids[ev.ID] = true
			batch.Events = append(batch.Events, ev)
			size += len(e.Event)
		}
		if err := u.putBackEpochs(ctx, batch.Events, epochsPut); err != nil { // sealepochs.go
			return err
		}
		res, err := u.postReconcile(ctx, batch)
		if err != nil {
			return err
		}
		for i, r := range res.Results {
			rep.GivenBack++
			switch r.Status {
			case wire.ItemAccepted:
				rep.Restored++
			case wire.ItemRejected:
				rep.Refused++
				u.log.Error("the central store refused an event given back to it", "eventId", batch.Events[i].ID,
					"caseId", batch.Events[i].CaseID, "problem", r.Problem.Type, "problemStatus", r.Problem.Status)
			}
		}
	}
}

// resend sends every retained (confirmed) outbox item again, in the order
// they were confirmed.
func (u *Uplink) resend(ctx context.Context, rep *ReconcileReport) error {
	after := uint64(0)
	for {
		kept, err := u.cfg.Cases.RetainedOutbound(ctx, after, wire.MaxOutboxItems)
		if err != nil {
			return err
		}
		if len(kept) == 0 {
			return nil
		}
		var batch wire.OutboxBatch2
		seen := map[string]bool{}
		for _, r := range kept {
			after = r.Pos
			if seen[r.Item.Key] {
				continue
			}
			it, err := itemOf(r.Item)
			if err != nil {
				continue // it never went: the push held it back as well
			}
			seen[r.Item.Key] = true
			batch.Items = append(batch.Items, it)
			if st, ok := staffOf(r.Item); ok {
				batch.Staff = append(batch.Staff, st)
			}
		}
		if len(batch.Items) == 0 {
			continue
		}
		res, err := u.postOutbox(ctx, batch)
		if err != nil {
			return err
		}
		for i, r := range res.Results {
			rep.Resent++
			switch r.Status {
			case wire.ItemAccepted:
				rep.Recovered++
			case wire.ItemRejected:
				rep.ResendRefused++
				u.log.Error("the central store refused a confirmed outbox item sent again", "key", batch.Items[i].IdempotencyKey,
					"caseId", batch.Items[i].CaseID, "problem", r.Problem.Type, "problemStatus", r.Problem.Status)
			}
		}
	}
}
