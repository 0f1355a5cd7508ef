//go:build !windows

package kekfile

import (
	"fmt"
	"os"
)

// CheckMode refuses a key file that the group or others may read.
func CheckMode(path string, fi os.FileInfo) error {
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("key file %s can be read by others (mode %04o): run `chmod 600 %s`", path, fi.Mode().Perm(), path)
	}
	return nil
}
