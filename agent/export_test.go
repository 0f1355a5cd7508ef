package agent

import (
	"context"
	"time"
)

// ArchiveAge is the age of the archive export in use, for tests of the
// reload.
func (a *Agent) ArchiveAge() time.Duration { return a.archive.arch.Load().Age() }

// NoticeDigest is the notice digest interval in use.
func (a *Agent) NoticeDigest() time.Duration { return a.notifier.Digest() }

// RunArchiveNow runs the archive export as the nightly schedule does.
func (a *Agent) RunArchiveNow(ctx context.Context) { a.archive.once(ctx) }
