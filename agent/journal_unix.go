//go:build unix

package agent

import (
	"fmt"
	"os"
	"syscall"
)

// toJournal reports whether f is the stream systemd connected to the
// journal: journalStream (the JOURNAL_STREAM variable, "DEVICE:INODE")
// names f's device and inode.
func toJournal(f *os.File, journalStream string) bool {
	if journalStream == "" {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	return journalStream == fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}
