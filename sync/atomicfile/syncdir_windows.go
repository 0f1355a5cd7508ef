package atomicfile

// syncDir is a no-op on Windows: NTFS renames are journaled and a folder
// cannot be opened for sync.
func syncDir(dir string) error { return nil }
