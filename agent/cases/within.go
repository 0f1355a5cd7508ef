package cases

import "context"

// DoWithin is Do inside a write transaction the caller owns: run opens
// it, calls body with it once, and commits it with whatever else it
// changed (booking a time from a request case: the diary's booking and
// the case's answer commit together or not at all). An error from body
// must roll the transaction back; a refusal by the workflow's rules is
// returned as from Do and recorded, with outcome denied, in a transaction
// of its own after the rollback. The notifications (OnChange, OnOutbound)
// follow run's return, as after Do's commit.
func (s *Service) DoWithin(ctx context.Context, actor Actor, id ID, cmd Command, run func(body func(Tx) error) error) (*Case, error) {
	c, _, err := s.do(ctx, actor, id, cmd, doHook{run: run})
	return c, err
}
