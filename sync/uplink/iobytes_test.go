package uplink

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// processWriteBytes returns the bytes the process has caused to be sent
// to storage (write_bytes of /proc/self/io): the store's pages and what it
// syncs, the central store's writes included. -1 where the kernel does not
// tell (not Linux, or no I/O accounting).
func processWriteBytes(b *testing.B) int64 {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		return -1
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "write_bytes: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatalf("/proc/self/io: %v", err)
			}
			return n
		}
	}
	return -1
}
