package audit

import (
	"bytes"
	"testing"
	"time"
)

// TestSealedRecordHashedOnce: a record Next made is encoded for the
// store (its sealing goroutine, a record per case on a backlog) without
// its entry checked and its hash computed a second time: Next did both.
func TestSealedRecordHashedOnce(t *testing.T) {
	e := Entry{Time: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC), Actor: "system", Unit: "SE2321000016-ABCD",
		Action: "receive", CaseID: "01m8r6eeb80p5hav19zd3dc3pn", Patient: "194001019894", Outcome: Allowed}
	m, _, err := NextMade(Head{Hash: Genesis(e.Unit)}, e)
	if err != nil {
		t.Fatal(err)
	}
	r := m.Record()
	before := hashesComputed.Load()
	b, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := hashesComputed.Load() - before; n != 0 {
		t.Errorf("encoding a record Next made hashed it %d more times", n)
	}
	var back Record
	if err := back.UnmarshalBinary(b); err != nil || back != r || !bytes.Equal(b, appendRecord(nil, r)) {
		t.Errorf("the record does not come back: %v", err)
	}
}

// FuzzNextMade: NextMade refuses exactly the entries Next refuses, and a
// record it made encodes to the bytes Record.AppendBinary, which checks
// the entry and the hash, writes of it.
func FuzzNextMade(f *testing.F) {
	f.Add(int64(1765094400000000000), "system", "SE2321000016-ABCD", "receive", "01m8r6eeb80p5hav19zd3dc3pn", "194001019894", true, uint64(0))
	f.Add(int64(0), "", "u", "a\n", "\u202e", "x", false, uint64(1<<64-1))
	f.Fuzz(func(t *testing.T, at int64, actor, unit, action, caseID, patient string, allowed bool, seq uint64) {
		e := Entry{Time: time.Unix(0, at), Actor: actor, Unit: unit, Action: action, CaseID: caseID, Patient: patient, Outcome: Denied}
		if allowed {
			e.Outcome = Allowed
		}
		head := Head{Seq: seq, Hash: Genesis(unit)}
		r, _, err := Next(head, e)
		m, _, merr := NextMade(head, e)
		if (err == nil) != (merr == nil) {
			t.Fatalf("Next: %v; NextMade: %v", err, merr)
		}
		if err != nil {
			if _, err := m.AppendBinary(nil); err == nil {
				t.Fatal("a record not made encoded")
			}
			return
		}
		want, err := r.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := m.AppendBinary(nil); err != nil || !bytes.Equal(got, want) || m.Record() != r {
			t.Fatalf("made %x (%v); AppendBinary writes %x", got, err, want)
		}
	})
}
