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

// TestBacklogKeepsTheMapping: a backlog into a new store does not make
// bbolt map the file again as it grows. Each new mapping (at every
// doubling up to 1 GiB: 15 times as a store fills to 500 MB) copied
// every key and value of the nodes the commit had touched to the heap
// (node.dereference), and waited for every read transaction to end, on
// the one goroutine that applies a backlog.
func TestBacklogKeepsTheMapping(t *testing.T) {
	if !mapAhead {
		t.Skip("the file is mapped as it grows here (mapAhead)")
	}
	e := newBacklogEnv(t, 850)
	const n = 12000 // 60 MB of store
	for range n / 1000 {
		e.batch(1000)
	}
	e.commit()
	st := e.db.bolt.Stats()
	if deref := st.TxStats.GetNodeDeref(); deref != 0 {
		t.Errorf("a backlog of %d cases into a new store made bbolt copy %d nodes out of the file's old mapping; want 0 (mapped once)", n, deref)
	}
}
