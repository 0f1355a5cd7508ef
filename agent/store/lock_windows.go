package store

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// lockFile takes the exclusive lock bbolt takes on a store file
// (LockFileEx over the byte at offset -1, which nobody reads), waiting up
// to timeout, and returns its release.
func lockFile(f *os.File, timeout time.Duration) (func(), error) {
	h := windows.Handle(f.Fd())
	deadline := time.Now().Add(timeout)
	for {
		const m1 = 1<<32 - 1
		ol := &windows.Overlapped{Offset: m1, OffsetHigh: m1}
		err := windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
		if err == nil {
			return func() { windows.UnlockFileEx(h, 0, 1, 0, &windows.Overlapped{Offset: m1, OffsetHigh: m1}) }, nil
		}
		if !errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, errInUse
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// replaceKeepsLock: Windows refuses to rename over a file held open
// without FILE_SHARE_DELETE, as os.Open opens it: Restore lets the store
// it replaces go just before the rename.
const replaceKeepsLock = false
