package booking

import (
	"context"
	"errors"

	"clinicgw/agent/audit"
)

// A change's access-log entry (who booked, moved, cancelled or marked a
// time, and whose booking it was) is written in the change's own write
// transaction, so a change never commits without its entry, nor an entry
// without its change: the caller puts the entry's maker in the context
// (WithAccessLog) and the authority appends the entry once the change is
// decided, before the commit. A decline writes no entry here: the caller
// logs refusals as it logs them elsewhere.

// EntryFunc makes the access-log entry of a change about the booking of
// patient ("" when no booking was involved, e.g. a hold).
type EntryFunc func(patient string) audit.Entry

type accessLogKey struct{}

// WithAccessLog is ctx whose diary changes write entry's entry in their
// transaction. The store's transaction must keep an access log
// (AuditTx); if it does not, the change fails.
func WithAccessLog(ctx context.Context, entry EntryFunc) context.Context {
	return context.WithValue(ctx, accessLogKey{}, entry)
}

// AuditTx is a store transaction that also appends to the access log
// (agent/store's DiaryTx).
type AuditTx interface {
	AppendAudit(e audit.Entry) error
}

// errNoAccessLog: the store cannot write the access log in the change's
// transaction.
var errNoAccessLog = errors.New("diary: the store's transaction keeps no access log, so the change is not made")

// logChange appends ctx's access-log entry, if any, of a change of the
// booking before (as it was) to after (as it is now) in tx.
func logChange(ctx context.Context, tx Tx, before, after *Booking) error {
	entry, ok := ctx.Value(accessLogKey{}).(EntryFunc)
	if !ok || entry == nil {
		return nil
	}
	at, ok := tx.(AuditTx)
	if !ok {
		return errNoAccessLog
	}
	patient := ""
	switch {
	case after != nil:
		patient = after.Patient
	case before != nil:
		patient = before.Patient
	}
	return at.AppendAudit(entry(patient))
}
