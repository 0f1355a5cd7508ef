package store

import "testing"

// TestBacklogSealsOffTheTransaction: in a backlog's commit every value
// written per event (the case, its access-log record and the event's
// journal entry) is sealed on the transaction's sealing goroutine
// (casewriter.go); the transaction's own goroutine, the one that bounds
// the sync's speed, seals only what a commit writes once (statistics,
// head), not one value per event.
func TestBacklogSealsOffTheTransaction(t *testing.T) {
	const perCommit, commits = 500, 3
	e := newBacklogEnv(t, perCommit)
	e.batch(perCommit) // the first commit makes the buckets and aggregates
	s := e.db.sealer.Load()
	before := s.sealedInline.Load()
	e.batch(commits * perCommit)
	inline := s.sealedInline.Load() - before
	if limit := uint64(commits * 20); inline > limit {
		t.Errorf("%d commits of %d events sealed %d values on the transaction's goroutine (%.2f per event); want at most %d",
			commits, perCommit, inline, float64(inline)/(commits*perCommit), limit)
	}
}
