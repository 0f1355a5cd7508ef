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

// BackupNow takes the nightly backup now, as the schedule does.
func (a *Agent) BackupNow(ctx context.Context) (string, error) { return a.backup.once(ctx) }

// BackupSettings are the nightly backup's settings in use (dir resolved).
func (a *Agent) BackupSettings() BackupConfig { return *a.backup.cfg.Load() }
