package kekfile

import "os"

// CheckMode is a no-op on Windows, where the installer sets an ACL on the
// state folder that admits only the service account and administrators.
func CheckMode(path string, fi os.FileInfo) error { return nil }
