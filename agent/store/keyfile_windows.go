package store

import "os"

// checkKeyFileMode is a no-op on Windows, where the installer sets an ACL
// on the state folder that admits only the service account and administrators.
func checkKeyFileMode(path string, fi os.FileInfo) error { return nil }

// syncDir is a no-op on Windows: NTFS renames are journaled and a directory
// cannot be opened for sync.
func syncDir(dir string) error { return nil }
