package store

import (
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestAuditIndexesFillTheirPages: the access log's indexes by staff member
// and by case take keys that mostly grow (a member's or a case's records
// by sequence number; case ids ordered to the millisecond), like the
// case indexes (putIndex). Split at bbolt's default half, every page they
// left behind stayed half empty (0.52 and 0.57 full), and a backlog wrote
// them nearly twice over.
func TestAuditIndexesFillTheirPages(t *testing.T) {
	e := appliedBacklog(t, 750, 6)
	ps := e.db.bolt.Info().PageSize
	err := e.db.bolt.View(func(btx *bolt.Tx) error {
		// The index by actor keeps a run per commit of a backlog's
		// arrivals (TestBacklogAuditActorEntriesPerCommit): no pages to fill.
		for _, name := range []string{bucketAuditCase} {
			st := btx.Bucket([]byte(name)).Stats()
			fill := float64(st.LeafInuse) / float64(st.LeafPageN*ps)
			t.Logf("%s: %d leaf pages, %.2f full", name, st.LeafPageN, fill)
			// The case ids of one millisecond arrive in random order, so
			// a commit inserts some into pages the one before it filled,
			// as in the case indexes (0.71 to 0.73 full here).
			if fill < 0.7 {
				t.Errorf("%s: its %d leaf pages are %.2f full; want at least 0.7", name, st.LeafPageN, fill)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
