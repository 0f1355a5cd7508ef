package main

import (
	"fmt"
	"os"
	"runtime"
	"testing"
)

// anonReader reads a process's RssAnon while BenchmarkRunBacklog polls
// it (every 5 ms, in the process that serves the central store, on the
// cores the gateway needs): from /proc/PID/statm, kept open and read
// again from its start, where /proc/PID/status is opened, generated
// whole (some fifty lines) and scanned line by line each time. statm's
// resident less its shared pages (file and shmem) is RssAnon, in pages.
type anonReader struct {
	f   *os.File
	buf [128]byte
}

func newAnonReader(pid int) (*anonReader, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/statm", pid))
	if err != nil {
		return nil, err
	}
	return &anonReader{f: f}, nil
}

// bytes returns the process's RssAnon in bytes, 0 once it is gone.
func (a *anonReader) bytes() int64 {
	n, _ := a.f.ReadAt(a.buf[:], 0)
	// size resident shared text lib data dt
	var fields [3]int64
	i := 0
	for _, c := range a.buf[:n] {
		switch {
		case c >= '0' && c <= '9':
			fields[i] = fields[i]*10 + int64(c-'0')
		case c == ' ' && i < len(fields)-1:
			i++
		case c == ' ':
			return (fields[1] - fields[2]) * int64(os.Getpagesize())
		}
	}
	return 0
}

func (a *anonReader) Close() error { return a.f.Close() }

// The benchmark's poll of the gateway's RssAnon allocates nothing and
// reads what /proc/PID/status says (a few pages either way: the two are
// read one after the other while this process runs).
func TestAnonReader(t *testing.T) {
	a, err := newAnonReader(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if allocs := testing.AllocsPerRun(100, func() { a.bytes() }); allocs != 0 {
		t.Errorf("a poll allocates %.0f times, want none", allocs)
	}
	// The other tests' goroutines may grow or shrink the process between
	// two readings (112 KB once, under load): statm is read between two
	// readings of status that agree, tried a few times.
	runtime.GC()
	for try := 0; ; try++ {
		before := procStatusBytes(os.Getpid(), "RssAnon")
		got := a.bytes()
		after := procStatusBytes(os.Getpid(), "RssAnon")
		if before != after && try < 20 {
			continue
		}
		lo, hi := min(before, after), max(before, after)
		if lo == 0 || got < lo-64<<10 || got > hi+64<<10 {
			t.Errorf("RssAnon from statm %d, from status %d before and %d after", got, before, after)
		}
		return
	}
}
