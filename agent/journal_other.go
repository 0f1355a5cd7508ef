//go:build !unix

package agent

import "os"

// toJournal is false where there is no systemd journal (Windows).
func toJournal(*os.File, string) bool { return false }
