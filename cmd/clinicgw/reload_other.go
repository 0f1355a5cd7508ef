//go:build !unix

package main

import "errors"

// signalReload: Windows has no SIGHUP; the service reads its configuration
// again when the file changes.
func signalReload(int) error {
	return errors.New("not on this system: the service reads its configuration again when the file changes")
}
