package audit

import (
	"crypto/sha256"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	long := strings.Repeat("x", MaxFieldLen)
	tests := []struct {
		name   string
		change func(e *Entry)
		field  string // "" when valid
	}{
		{"valid", func(e *Entry) {}, ""},
		{"denied", func(e *Entry) { e.Outcome = Denied }, ""},
		{"no case, no patient", func(e *Entry) { e.CaseID, e.Patient = "", "" }, ""},
		{"longest fields", func(e *Entry) { e.Actor, e.Unit, e.Action, e.CaseID, e.Patient = long, long, long, long, long }, ""},
		{"non-ASCII", func(e *Entry) { e.CaseID = "ärende-å" }, ""},
		{"local time", func(e *Entry) { e.Time = e.Time.In(time.FixedZone("CET", 3600)) }, ""},
		{"no actor", func(e *Entry) { e.Actor = "" }, "actor"},
		{"no unit", func(e *Entry) { e.Unit = "" }, "unit"},
		{"no action", func(e *Entry) { e.Action = "" }, "action"},
		{"actor too long", func(e *Entry) { e.Actor = long + "x" }, "actor"},
		{"patient too long", func(e *Entry) { e.Patient = long + "1" }, "patient"},
		{"newline in actor", func(e *Entry) { e.Actor = "SE1\nok" }, "actor"},
		{"CR in unit", func(e *Entry) { e.Unit = "SE1\r" }, "unit"},
		{"ANSI escape in action", func(e *Entry) { e.Action = "\x1b[31mread" }, "action"},
		{"NUL in case", func(e *Entry) { e.CaseID = "c\x00" }, "caseID"},
		{"DEL in case", func(e *Entry) { e.CaseID = "c\x7f" }, "caseID"},
		{"C1 control in case", func(e *Entry) { e.CaseID = "c\u0085" }, "caseID"},
		{"bidi override in actor", func(e *Entry) { e.Actor = "SE\u202e1" }, "actor"},
		{"line separator in action", func(e *Entry) { e.Action = "read\u2028list" }, "action"},
		{"tab in patient", func(e *Entry) { e.Patient = "19121212\t1212" }, "patient"},
		{"invalid UTF-8", func(e *Entry) { e.CaseID = "c\xff" }, "caseID"},
		{"no outcome", func(e *Entry) { e.Outcome = "" }, "outcome"},
		{"unknown outcome", func(e *Entry) { e.Outcome = "OK" }, "outcome"},
		{"no time", func(e *Entry) { e.Time = time.Time{} }, "time"},
		{"time before 1678", func(e *Entry) { e.Time = time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC) }, "time"},
		{"time after 2262", func(e *Entry) { e.Time = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) }, "time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testEntry(0)
			tt.change(&e)
			err := e.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ee *EntryError
			if !errors.As(err, &ee) || ee.Field != tt.field {
				t.Fatalf("Validate = %v, want an *EntryError for %s", err, tt.field)
			}
			if _, _, err := Next(Head{Hash: Genesis(testUnit)}, e); !errors.As(err, &ee) {
				t.Errorf("Next = %v, want an *EntryError", err)
			}
		})
	}
}

// TestValidateNoValues checks that an EntryError does not repeat the value,
// which may be a personnummer.
func TestValidateNoValues(t *testing.T) {
	e := testEntry(0)
	e.Patient = "19121212121\n"
	err := e.Validate()
	if err == nil || strings.Contains(err.Error(), "1912") {
		t.Fatalf("Validate = %v", err)
	}
}

func TestNext(t *testing.T) {
	g := Genesis(testUnit)
	e := testEntry(0)
	cet := time.FixedZone("CET", 3600)
	e.Time = e.Time.In(cet)
	r1, h1, err := Next(Head{Hash: g}, e)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Seq != 1 || r1.Prev != g || r1.Hash != r1.ComputeHash() || h1 != (Head{1, r1.Hash}) {
		t.Fatalf("first record %+v, head %+v", r1, h1)
	}
	if r1.Entry.Time.Location() != time.UTC || !r1.Entry.Time.Equal(e.Time) {
		t.Errorf("time %v, want %v in UTC", r1.Entry.Time, e.Time)
	}
	r2, h2, err := Next(h1, testEntry(1))
	if err != nil {
		t.Fatal(err)
	}
	if r2.Seq != 2 || r2.Prev != r1.Hash || h2 != r2.Head() {
		t.Fatalf("second record %+v, head %+v", r2, h2)
	}
	if _, _, err := Next(Head{Seq: math.MaxUint64}, testEntry(0)); !errors.Is(err, ErrLogFull) {
		t.Errorf("Next at the last sequence number = %v, want ErrLogFull", err)
	}
}

func TestGenesis(t *testing.T) {
	if Genesis(testUnit) == Genesis(otherUnit) {
		t.Fatal("two units share a genesis")
	}
	if a, b := Genesis(testUnit), Genesis(testUnit); a != b {
		t.Fatal("genesis not deterministic")
	}
	if Genesis("") == (Hash{}) {
		t.Fatal("zero genesis")
	}
}

// TestComputeHashCoversEveryField changes each field in turn.
func TestComputeHashCoversEveryField(t *testing.T) {
	recs, _ := buildChain(t, testUnit, 3)
	base := recs[2]
	changes := map[string]func(r *Record){
		"seq":     func(r *Record) { r.Seq++ },
		"prev":    func(r *Record) { r.Prev[31] ^= 1 },
		"time":    func(r *Record) { r.Entry.Time = r.Entry.Time.Add(time.Nanosecond) },
		"actor":   func(r *Record) { r.Entry.Actor += "x" },
		"unit":    func(r *Record) { r.Entry.Unit += "x" },
		"action":  func(r *Record) { r.Entry.Action += "x" },
		"caseID":  func(r *Record) { r.Entry.CaseID += "x" },
		"patient": func(r *Record) { r.Entry.Patient += "1" },
		"outcome": func(r *Record) { r.Entry.Outcome = Denied },
		"stored hash is not hashed": func(r *Record) {
			r.Hash[0] ^= 1
		},
	}
	for name, change := range changes {
		r := base
		change(&r)
		same := r.ComputeHash() == base.ComputeHash()
		if same != (name == "stored hash is not hashed") {
			t.Errorf("%s: hash unchanged = %v", name, same)
		}
	}
	// The time zone is not part of the hash, only the instant.
	r := base
	r.Entry.Time = r.Entry.Time.In(time.FixedZone("CET", 3600))
	if r.ComputeHash() != base.ComputeHash() {
		t.Error("hash depends on the time zone")
	}
}

// TestComputeHashUnambiguous moves bytes between adjacent fields.
func TestComputeHashUnambiguous(t *testing.T) {
	a := Record{Seq: 1, Entry: Entry{Time: t0, Actor: "ab", Unit: "c", Action: "d", Outcome: Allowed}}
	b := a
	b.Entry.Actor, b.Entry.Unit = "a", "bc"
	c := a
	c.Entry.Action, c.Entry.CaseID = "", "d"
	if a.ComputeHash() == b.ComputeHash() || a.ComputeHash() == c.ComputeHash() {
		t.Fatal("moving bytes between fields keeps the hash")
	}
}

func TestRecordRoundTrip(t *testing.T) {
	recs, _ := buildChain(t, testUnit, chainLen)
	for _, r := range recs {
		b, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Record
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("record %d: %v", r.Seq, err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("record %d: round trip\n got %+v\nwant %+v", r.Seq, got, r)
		}
	}
}

// TestHashSpec computes the golden record's hashes from the documented
// layout, apart from the package's own encoder.
func TestHashSpec(t *testing.T) {
	r := goldenRecord(t)
	u64 := func(n uint64) string {
		var b [8]byte
		for i := range b {
			b[i] = byte(n >> (56 - 8*i))
		}
		return string(b[:])
	}
	field := func(s string) string { return u64(uint64(len(s))) + s }
	genesis := sha256.Sum256([]byte("clinicgw audit genesis v1\x00" + field("SE2321000016-1234")))
	if r.Prev != genesis {
		t.Fatalf("genesis %v, want %v", r.Prev, Hash(genesis))
	}
	e := r.Entry
	in := "clinicgw audit record v1\x00" + u64(r.Seq) + string(r.Prev[:]) + u64(uint64(e.Time.UnixNano())) +
		field(e.Actor) + field(e.Unit) + field(e.Action) + field(e.CaseID) + field(e.Patient) + field("ok")
	if want := Hash(sha256.Sum256([]byte(in))); r.Hash != want {
		t.Fatalf("hash %v, want %v", r.Hash, want)
	}
}
