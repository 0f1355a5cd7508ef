package cases

import (
	"context"

	"clinicgw/agent/audit"
)

// How a read is run (issue 18): what it shows is read in a read
// transaction (Store.View), beside the writers; only its access-log
// entries then go through the store's shared write transaction
// (Store.Shared, a group commit), and the read returns what it read once
// they are on disk. So a page never waits for the writer while it reads,
// and the write transaction the sync needs too holds an append per read,
// not the read. What the entries say (actor, action, case, patient,
// outcome) is what the read found; a read whose entries do not commit
// returns its error and nothing of what it read.

// logRead commits the access-log entries of a read, in order, and returns
// once they are durable.
func (s *Service) logRead(ctx context.Context, entries ...audit.Entry) error {
	return s.store.Shared(ctx, func(tx Tx) error {
		for _, e := range entries {
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
}
