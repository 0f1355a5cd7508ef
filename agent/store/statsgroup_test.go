package store

import (
	"encoding/binary"
	"math/rand/v2"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// TestStatsLayout1CountedAgain: a store whose aggregates are of layout 1
// (without the staff group) is counted again at Open, not read as if it
// were the current layout (4): afterwards the aggregates equal a recount and give the
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
		if err := t.putStats(b, recvDayKey(statsRecv, cases.StatsDayOf(statsT0)), plain); err != nil {
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

// FuzzStatsRecord: any key and value of the statistics' bucket (layout 4,
// with the group and the histograms) is taken apart without a panic: a
// key of no known shape is refused before it is parsed, and counts and
// histograms that decode encode back to the same.
func FuzzStatsRecord(f *testing.F) {
	db, _ := testStore(f)
	f.Add([]byte("a\x80\x00\x00\x01lakare\x00contact-me"), []byte{1, 2})
	f.Add([]byte("r\x80\x00\x00\x01"), []byte("\x0acontact-me\x08received\x06lakare\x03"))
	f.Add([]byte("o\x80\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x80\x00\x00\x01lakare"), []byte{5})
	f.Add([]byte("a\x80\x00\x00\x01contact-me"), []byte{})
	f.Add([]byte("w\x80\x00\x00\x04lakare\x00contact-me"), []byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x03\x02\x81\x02\x01"))
	f.Add([]byte("R\x80\x00\x00\x04"), []byte("\x0acontact-me\x08received\x00\x03"))
	f.Fuzz(func(t *testing.T, key, plain []byte) {
		if len(key) == 0 || len(key) > 200 {
			return
		}
		err := db.update(func(btx *bolt.Tx) error {
			tx := db.newTx(btx)
			sealed, err := tx.s.seal(bucketStats, key, plain)
			if err != nil {
				return err
			}
			if checkStatsKey(key) != nil {
				return nil
			}
			switch key[0] {
			case statsRecv, statsRecvWeek:
				counts, err := tx.recvCounts(key, sealed)
				if err != nil {
					return nil
				}
				b := btx.Bucket([]byte(bucketStats))
				if err := tx.putRecvCounts(b, key, counts); err != nil {
					return err
				}
				again, err := tx.recvCounts(key, b.Get(key))
				if err != nil || len(again) != len(counts) {
					t.Fatalf("counts %v read back as %v (%v)", counts, again, err)
				}
				for k, n := range counts {
					if again[k] != n {
						t.Fatalf("counts %v read back as %v", counts, again)
					}
				}
				return b.Delete(key)
			case statsAns, statsWeek:
				if _, ok := parseAnsKey(key); !ok {
					t.Fatalf("checkStatsKey passed %x, which parseAnsKey refuses", key)
				}
				h, err := tx.statsHist(key, sealed)
				if err != nil {
					return nil
				}
				b := btx.Bucket([]byte(bucketStats))
				if err := tx.putStatsHist(b, key, h); err != nil {
					return err
				}
				again, err := tx.statsHist(key, b.Get(key))
				if len(h.Buckets) > 0 && (err != nil || !reflect.DeepEqual(again, h)) {
					t.Fatalf("histogram %+v read back as %+v (%v)", h, again, err)
				}
				return b.Delete(key)
			case statsOpen:
				parseOpenKey(key)
				tx.statsCount(key, sealed)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
