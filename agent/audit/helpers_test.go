package audit

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"
)

const (
	testUnit  = "SE2321000016-7X4K"
	otherUnit = "SE2321000016-9Q2M"
)

// testKey is the checkpoint key of the tests.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// t0 is the time of the first test entry; entries follow a minute apart.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

var testActions = []string{"read", "list", "assign", "answer", "read-access-log"}

// testEntry returns the i-th entry of the test log; it varies every field.
func testEntry(i int) Entry {
	e := Entry{
		Time:    t0.Add(time.Duration(i) * time.Minute),
		Actor:   fmt.Sprintf("SE2321000016-S%03d", i%4),
		Unit:    testUnit,
		Action:  testActions[i%len(testActions)],
		Outcome: Allowed,
	}
	if i%5 != 1 {
		e.CaseID = fmt.Sprintf("c-%04d", i%9)
		e.Patient = "191212121212"
	}
	if i%7 == 3 {
		e.Outcome = Denied
	}
	return e
}

// buildChain returns n records of the test log for unit and its head.
func buildChain(t testing.TB, unit string, n int) ([]Record, Head) {
	t.Helper()
	head := Head{Hash: Genesis(unit)}
	recs := make([]Record, 0, n)
	for i := range n {
		r, h, err := Next(head, testEntry(i))
		if err != nil {
			t.Fatalf("Next(%d): %v", i, err)
		}
		recs = append(recs, r)
		head = h
	}
	return recs, head
}

// storedLog is the access-log bucket as agent/store keeps it, without the
// sealing: key to encoded record, plus values that fail to open.
type storedLog struct {
	vals map[uint64][]byte
	errs map[uint64]error
}

func storeChain(t testing.TB, recs []Record) storedLog {
	t.Helper()
	s := storedLog{vals: map[uint64][]byte{}, errs: map[uint64]error{}}
	for _, r := range recs {
		b, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary(%d): %v", r.Seq, err)
		}
		s.vals[r.Seq] = b
	}
	return s
}

// put encodes r under key without checking it, as a tamperer would.
func (s storedLog) put(key uint64, r Record) {
	s.vals[key] = appendRecord(nil, r)
}

func (s storedLog) records() Records {
	return func(yield func(uint64, Record, error) bool) {
		keys := slices.Sorted(maps.Keys(s.vals))
		for _, k := range keys {
			if err := s.errs[k]; err != nil {
				if !yield(k, Record{}, err) {
					return
				}
				continue
			}
			var r Record
			err := r.UnmarshalBinary(s.vals[k])
			if !yield(k, r, err) {
				return
			}
		}
	}
}
