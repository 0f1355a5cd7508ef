package store

import (
	"os"
	"testing"
)

// TestBacklogGrowsTheFileRarely: every time bbolt grows the file it
// truncates it and syncs it whole (fsync, its size and all), an extra
// wait on the disk in the commit that crossed the end. Grown 16 MiB at a
// time (bbolt's default), a backlog of realistic cases (7.7 KB written
// per case) paid one every second commit.
func TestBacklogGrowsTheFileRarely(t *testing.T) {
	e := newBacklogEnv(t, 850)
	var last int64
	var sizes []int64
	e.measure = func(apply func()) {
		apply()
		fi, err := os.Stat(e.db.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != last {
			last = fi.Size()
			sizes = append(sizes, last>>20)
		}
	}
	const n = 24000
	for range n / 1000 {
		e.batch(1000)
	}
	e.commit()
	// Doubling up to the allocation step (8, 16, ... MiB), then a step at
	// a time.
	if len(sizes) > 6 {
		t.Errorf("a backlog of %d cases grew the file %d times (MiB: %v); want at most 6", n, len(sizes), sizes)
	}
}
