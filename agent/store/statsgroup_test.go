package store

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// TestStatsLayout1CountedAgain: a store whose aggregates are of layout 1
// (without the staff group) is counted again at Open, not read as if it
// were layout 2: afterwards the aggregates equal a recount and give the
// statistics per group.
func TestStatsLayout1CountedAgain(t *testing.T) {
	db, dir := testStore(t)
	rnd := rand.New(rand.NewPCG(11, 18))
	w := &statsWorkload{t: t, db: db, rnd: rnd}
	for range 60 {
		w.step()
	}
	// What clinicgw before groups kept: a day's counts as type, status,
	// count, and version 1.
	err := db.update(func(btx *bolt.Tx) error {
		t := db.newTx(btx)
		b := btx.Bucket([]byte(bucketStats))
		var plain []byte
		for _, s := range []string{string(casetype.ContactMe), string(cases.Received)} {
			plain = binary.AppendUvarint(plain, uint64(len(s)))
			plain = append(plain, s...)
		}
		plain = binary.AppendUvarint(plain, 3)
		if err := t.putStats(b, recvDayKey(cases.StatsDayOf(statsT0)), plain); err != nil {
			return err
		}
		return btx.Bucket([]byte(bucketMeta)).Put(keyStatsVersion, binary.BigEndian.AppendUint32(nil, 1))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openAt(t, dir)
	checkStats(t, db, rnd)
	b := cases.NewStatsBuilder(statsT0.AddDate(0, 0, -1), statsT0.AddDate(0, 0, 30), statsT0.AddDate(0, 0, 30))
	if ok, err := db.AddStats(ctx, testUnit, b); !ok || err != nil {
		t.Fatalf("stats from the aggregates: %v, %v", ok, err)
	}
	st := b.Result()
	sum := 0
	for g, gs := range st.ByGroup {
		sum += gs.Received
		if g != "" && !cases.ValidGroupID(string(g)) {
			t.Errorf("a group %q", g)
		}
	}
	if len(st.ByGroup) < 3 || sum != st.Received {
		t.Errorf("per group %+v, %d in all; want the workload's groups summing to %d", st.ByGroup, sum, st.Received)
	}
}
