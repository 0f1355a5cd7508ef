package uplink

import (
	"context"
	"fmt"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// After the gateway's own store was restored from a backup (Config.Restored),
// the uplink first pulls from the backup's cursor as always, then, before it
// pushes anything, gets back from the central store the outbox items it
// confirmed since the backup (GET wire.PathConfirmed2) and has the case
// service put back those the store lacks (Recoverer). Then Restored.Done
// records it durably, and the push starts. The restored store's place in
// the event chain is the backup's, an older link of the same chain, so
// the continuity check finds the central store where the store left it:
// the gateway's own restore is never taken for a central store that went
// back.

// Recoverer puts back confirmed outbox items the store lacks;
// *cases.Service implements it.
type Recoverer interface {
	RecoverConfirmed(ctx context.Context, items []cases.Outbound) (cases.RecoverReport, error)
}

var _ Recoverer = (*cases.Service)(nil)

// Restored says the gateway's store was restored from a backup and has not
// yet got back what the central store confirmed after it.
type Restored struct {
	// Since is when the backup was taken.
	Since time.Time
	// Done records durably that the store got everything back (called
	// once, after the last item is applied); until it succeeds, the next
	// start fetches again (what the store has is skipped).
	Done func(ctx context.Context, rep RecoverReport) error
}

// RecoverMargin: the items the central store confirmed up to this long
// before the backup was taken are fetched too, for the two ends' clocks
// may differ; those the store has change nothing.
const RecoverMargin = time.Hour

// RecoverReport counts what getting back the confirmed items did.
type RecoverReport struct {
	Fetched int // confirmed items the central store gave
	cases.RecoverReport
	// Incomplete: the central store no longer holds every item confirmed
	// since the backup (its retention dropped some), or some were for
	// cases this store does not hold (Missing).
	Incomplete bool
}

// getConfirmed fetches one page of the unit's confirmed items.
func (u *Uplink) getConfirmed(ctx context.Context, q wire.ConfirmedQuery) (wire.ConfirmedPage, error) {
	page, err := getPage(ctx, u, "confirmed", wire.PathConfirmed2, q, wire.DecodeConfirmedPage)
	if err == nil {
		err = u.openConfirmed(ctx, &page) // confirmedsealed.go
	}
	return page, err
}

// recoverConfirmed gets back the confirmed items since the backup, puts
// back what the store lacks, records it done and lets the push go.
func (u *Uplink) recoverConfirmed(ctx context.Context) error {
	r := u.cfg.Restored
	rec := u.cfg.Cases.(Recoverer) // New checked it
	var rep RecoverReport
	q := wire.ConfirmedQuery{Since: r.Since.Add(-RecoverMargin).UTC(), Limit: wire.MaxOutboxItems}
	for {
		page, err := u.getConfirmed(ctx, q)
		if err != nil {
			return fmt.Errorf("recover confirmed items: %w", err)
		}
		if !page.Complete {
			rep.Incomplete = true
		}
		items := make([]cases.Outbound, 0, len(page.Items))
		for _, c := range page.Items {
			if c.Sealed != nil { // did not open (confirmedsealed.go)
				rep.Incomplete = true
				continue
			}
			items = append(items, outboundOf(c))
		}
		if len(items) > 0 {
			cr, err := rec.RecoverConfirmed(ctx, items)
			if err != nil {
				return fmt.Errorf("recover confirmed items: %w", err)
			}
			rep.Fetched += len(items)
			rep.Applied += cr.Applied
			rep.Known += cr.Known
			rep.Missing += cr.Missing
		}
		if len(page.Items) > 0 {
			q.After = page.Items[len(page.Items)-1].Seq
		}
		if len(page.Items) < q.Limit {
			break
		}
	}
	rep.Incomplete = rep.Incomplete || rep.Missing > 0
	if err := r.Done(ctx, rep); err != nil {
		return fmt.Errorf("recover confirmed items: record it done: %w", err)
	}
	u.mu.Lock()
	u.st.RestorePending, u.st.LastRecover = false, rep
	u.mu.Unlock()
	u.recovering.Store(false)
	wake(u.pushWake)
	log := u.log.Info
	if rep.Incomplete {
		log = u.log.Error
	}
	log("got back from the central store what it confirmed after the backup this store was restored from",
		"fetched", rep.Fetched, "applied", rep.Applied, "known", rep.Known, "missing", rep.Missing, "incomplete", rep.Incomplete)
	return nil
}

// outboundOf is the change a confirmed item carries, as the outbox held it.
func outboundOf(ci wire.ConfirmedItem) cases.Outbound {
	it := ci.Item
	o := cases.Outbound{Key: it.IdempotencyKey, CaseID: cases.ID(it.CaseID), Kind: cases.OutboundKind(it.Kind), At: it.At,
		Status: cases.Status(it.Status), AuthorHSAID: ci.AuthorHSAID, AssigneeHSAID: ci.AssigneeHSAID}
	if m := it.Message; m != nil {
		o.MessageID, o.Text, o.Signature, o.AuthorTitle = m.ID, m.Text, m.Signature, m.AuthorTitle
	}
	if c := it.Case; c != nil {
		o.Initiated = &cases.InitiatedCase{Type: casetype.Type(c.Type), Patient: cases.Person{PNR: personnummer.Personnummer(c.PatientPNR), Name: c.PatientName},
			Subject: c.Subject, ReplyAllowed: c.ReplyAllowed}
	}
	return o
}
