package cases

import (
	"context"

	"clinicgw/agent/audit"
)

// How a read is run (issue 18): what it shows is read in a read
// transaction (Store.View), beside the writers; only its access-log
// entries then go to a write transaction (ReadLogger: the next to commit,
// the sync's or a group commit's; else Store.Shared, a group commit), and
// the read returns what it read once they are on disk. So a page never
// waits for the writer while it reads, waits for one commit, not the
// sync's and then its own, and the write transaction the sync needs too
// holds an append per read, not the read. What the entries say (actor, action, case, patient,
// outcome) is what the read found; a read whose entries do not commit
// returns its error and nothing of what it read.

// ReadLogger is a Store that commits a read's access-log entries by
// themselves, not as a fn (agent/store's LogReads), so that it may commit
// them in whichever write transaction commits first: another writer's
// under way (the sync's) or the group commit's next. It returns once they
// are durable; an error writes none of them.
type ReadLogger interface {
	LogReads(ctx context.Context, entries []audit.Entry) error
}

// logRead commits the access-log entries of a read, in order, and returns
// once they are durable.
func (s *Service) logRead(ctx context.Context, entries ...audit.Entry) error {
	if rl, ok := s.store.(ReadLogger); ok {
		return rl.LogReads(ctx, entries)
	}
	return s.store.Shared(ctx, func(tx Tx) error {
		for _, e := range entries {
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
}
