//go:build !windows

package store

import (
	"fmt"
	"os"
)

// checkKeyFileMode refuses a key file that the group or others may read.
func checkKeyFileMode(path string, fi os.FileInfo) error {
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("key file %s can be read by others (mode %04o): run `chmod 600 %s`", path, fi.Mode().Perm(), path)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
