//go:build !windows

package store

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// lockFile takes the exclusive lock bbolt takes on a store file (flock),
// waiting up to timeout, and returns its release.
func lockFile(f *os.File, timeout time.Duration) (func(), error) {
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, errInUse
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// replaceKeepsLock: a file held open and locked here can be renamed over
// (Restore keeps the store it replaces locked to the end).
const replaceKeepsLock = true
