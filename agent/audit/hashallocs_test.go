package audit

import (
	"testing"
	"time"
)

// TestComputeHashAllocs: hashing a record of the usual field lengths
// allocates nothing (its preimage was a heap buffer each: Next hashes on
// the one goroutine that applies a sync backlog, one record per case, and
// the store's encoding hashes each record again to check it). A record
// of the longest fields hashes as before (TestRecordHashGolden and the
// chain tests).
func TestComputeHashAllocs(t *testing.T) {
	r := Record{Seq: 7, Entry: Entry{Time: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC), Actor: "SE2321000016-1234",
		Unit: "SE2321000016-ABCD", Action: "receive", CaseID: "01m8r6eeb80p5hav19zd3dc3pn", Patient: "194001019894", Outcome: Allowed}}
	var h Hash
	if n := testing.AllocsPerRun(100, func() { h = r.ComputeHash() }); n != 0 {
		t.Errorf("ComputeHash made %.0f allocations; want 0", n)
	}
	if h == (Hash{}) {
		t.Error("no hash")
	}
}
