package archive

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// sameAsEncodingJSON fails t unless FHIR writes exactly the bytes the
// encoding/json rendering (refFHIR) writes, and case.json (appendArchived)
// exactly json.Marshal's.
func sameAsEncodingJSON(t *testing.T, c *cases.Case, form *wire.Form, records []audit.Record, now time.Time) {
	t.Helper()
	caseJSONSameAsEncodingJSON(t, c, form)
	accessSameAsEncodingJSON(t, records)
	want, err := refFHIR(c, form, records, now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FHIR(c, form, records, now)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("FHIR differs from encoding/json's rendering at byte %d:\n got …%s\nwant …%s", i, got[max(0, i-80):min(len(got), i+80)], want[max(0, i-80):min(len(want), i+80)])
	}
}

// caseJSONSameAsEncodingJSON fails t unless appendArchived writes, after
// bytes already in its buffer, what json.Marshal writes for archived.
func caseJSONSameAsEncodingJSON(t *testing.T, c *cases.Case, form *wire.Form) {
	t.Helper()
	want, err := json.Marshal(archived(c, form))
	if err != nil {
		t.Fatal(err)
	}
	got, err := appendArchived([]byte("before"), c, form)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(got, []byte("before")) || !bytes.Equal(got[len("before"):], want) {
		t.Fatalf("case.json differs from json.Marshal's:\n got %s\nwant %s", got, want)
	}
}

// accessSameAsEncodingJSON fails t unless appendAccess writes, after
// bytes already in its buffer, what json.Marshal writes for accessJSON.
func accessSameAsEncodingJSON(t *testing.T, records []audit.Record) {
	t.Helper()
	want, err := json.Marshal(accessJSON(records))
	if err != nil {
		t.Fatal(err)
	}
	got, err := appendAccess([]byte("before"), records)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(got, []byte("before")) || !bytes.Equal(got[len("before"):], want) {
		t.Fatalf("access-log.json differs from json.Marshal's:\n got %s\nwant %s", got, want)
	}
}

// TestFHIRSameAsEncodingJSON: the hand-written FHIR encoder writes the
// bytes encoding/json writes for the same bundle (fhirref_test.go), for
// the golden cases, every status, every kind of answer matched or not,
// no guardian, no assignee, no due date, zero times, and strings that
// JSON must escape (quotes, backslashes, control characters, HTML
// characters, U+2028, U+2029, invalid UTF-8).
func TestFHIRSameAsEncodingJSON(t *testing.T) {
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	for name, tc := range fhirCases() {
		t.Run(name, func(t *testing.T) { sameAsEncodingJSON(t, tc.c, tc.form, tc.records, now) })
	}
	closed := fhirCases()["fhir-closed.json"]
	for _, st := range []cases.Status{cases.Received, cases.Assigned, cases.PartiallyAnswered, cases.WaitingForPatient,
		cases.Answered, cases.Closed, cases.Withdrawn} {
		c := *closed.c
		c.Status = st
		t.Run(string(st), func(t *testing.T) { sameAsEncodingJSON(t, &c, closed.form, closed.records, now) })
	}
	odd := "\"quoted\" \\ back <b>&amp;</b> \x00\x01\x1f\x7f\b\f\n\r\t \u2028\u2029 å ä ö \xff\xfe end \xe2\x82"
	c := *closed.c
	c.Guardian, c.Assignee, c.DueAt, c.ReceivedAt = nil, "", time.Time{}, time.Time{}
	c.Patient.Name, c.Subject = odd, odd
	c.Refs = []cases.Ref{{By: odd, System: odd, Value: odd}, {System: "urn:x", Value: "1"}}
	c.History = nil
	c.Fields = []cases.Field{{Name: "medicine", Label: odd, Value: odd}, {Name: odd, Label: "", Value: "x"},
		{Name: "howOften", Value: odd}, {Name: "pharmacy", Value: "counter"}, {Name: "lastDose", Value: odd},
		{Name: "allergy", Value: "true"}, {Name: "note", Value: ""}}
	c.Messages = []cases.Message{{ID: odd, Kind: cases.FromPatient, Author: "patient", Text: odd, At: time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.FixedZone("x", 3600))},
		{ID: "m2", Kind: cases.Answer, Author: "", Text: "", Signature: odd},
		{ID: "m3", Kind: cases.Answer, Author: "system", Text: "", Signature: ""},
		{ID: "m4", Kind: cases.Answer, Author: odd, Text: "x"}}
	records := []audit.Record{{Seq: 1, Entry: audit.Entry{Actor: odd, Unit: odd, Action: odd, Outcome: audit.Denied}},
		{Seq: 1 << 62, Entry: audit.Entry{Time: now, Actor: "patient", Action: string(cases.List), Outcome: audit.Allowed}}}
	t.Run("odd", func(t *testing.T) { sameAsEncodingJSON(t, &c, closed.form, records, time.Time{}) })
	t.Run("odd without form", func(t *testing.T) { sameAsEncodingJSON(t, &c, nil, nil, now) })
	bench := &cases.Case{ID: "01kjprzb000000000000000000", Unit: unit, Type: casetype.All[0], Status: cases.Closed,
		Patient: cases.Person{PNR: "193001019805", Name: "Test Testsson"}, ReceivedAt: now, DueAt: now, AnsweredAt: now, ClosedAt: now,
		Assignee: hsaClin, Fields: []cases.Field{{Name: "q", Label: "Fråga", Value: "Svar"}},
		Messages: []cases.Message{{ID: "m1", Kind: cases.FromPatient, Author: "patient", Text: benchText, At: now}}}
	t.Run("bench", func(t *testing.T) { sameAsEncodingJSON(t, bench, nil, closed.records, now) })
}

// FuzzFHIRSameAsEncodingJSON: for any strings in a case, its answers, its
// messages and its access-log records, FHIR writes what encoding/json
// writes.
func FuzzFHIRSameAsEncodingJSON(f *testing.F) {
	f.Add("Test Testsson", "daily", "Hej <b>&</b>\n", "Doris\u2028", "SE2321000016-C001", "read", int64(0), uint8(0))
	f.Add("\xff", "\x00", "\"\\", "", "patient", "", int64(1e9+7), uint8(255))
	closed := fhirCases()["fhir-closed.json"]
	f.Fuzz(func(t *testing.T, name, answer, text, signature, actor, action string, nanos int64, flags uint8) {
		c := *closed.c
		at := time.Unix(0, nanos)
		c.Patient.Name, c.Assignee, c.ReceivedAt = name, actor, at
		if flags&1 != 0 {
			c.Guardian = nil
		}
		if flags&2 != 0 {
			c.DueAt = time.Time{}
		}
		c.Fields = []cases.Field{{Name: "howOften", Value: answer}, {Name: "lastDose", Value: answer},
			{Name: "allergy", Value: answer}, {Name: answer, Label: text, Value: answer}}
		c.Messages = []cases.Message{{ID: name, Kind: cases.MessageKind(action), Author: actor, Text: text, Signature: signature, At: at}}
		if flags&8 != 0 {
			c.Refs = []cases.Ref{{By: actor, System: answer, Value: text, At: at}}
		}
		records := []audit.Record{{Seq: uint64(nanos), Entry: audit.Entry{Time: at, Actor: actor, Unit: name, Action: action, Outcome: audit.Outcome(answer)}}}
		form := closed.form
		if flags&4 != 0 {
			form = nil
		}
		sameAsEncodingJSON(t, &c, form, records, at)
	})
}

// BenchmarkFHIR renders a bench case (2 KiB of text, four access-log
// records) by hand, into a buffer used again as Writer does, and, for
// comparison, with encoding/json.
func BenchmarkFHIR(b *testing.B) {
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	closed := fhirCases()["fhir-closed.json"]
	c := *closed.c
	c.Messages = append(c.Messages, cases.Message{ID: "m3", Kind: cases.FromPatient, Author: "patient", Text: benchText, At: now})
	for _, r := range []struct {
		name   string
		render func(*cases.Case, *wire.Form, []audit.Record, time.Time) ([]byte, error)
	}{{"hand", nil}, {"encoding-json", refFHIR}} {
		b.Run(r.name, func(b *testing.B) {
			var buf []byte
			for b.Loop() {
				if r.render == nil { // as Writer does: into the buffer of the case before
					buf = appendFHIR(buf[:0], &c, closed.form, closed.records, now)
					continue
				}
				if _, err := r.render(&c, closed.form, closed.records, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestAccessJSONTimes: access-log.json writes times in their own zone,
// with their fraction, as json.Marshal does, and refuses what it refuses.
func TestAccessJSONTimes(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 120000000, time.UTC)
	for _, tm := range []time.Time{at, at.In(time.FixedZone("x", 5*3600+1800)), at.In(time.FixedZone("y", -(23*3600 + 59*60 + 30))),
		at.In(time.FixedZone("s", 3600+17)), {}, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), at.Truncate(time.Second)} {
		accessSameAsEncodingJSON(t, []audit.Record{{Seq: 7, Entry: audit.Entry{Time: tm, Actor: "patient", Action: "read", Outcome: audit.Allowed}}})
	}
	accessSameAsEncodingJSON(t, nil)
	for _, tm := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), at.In(time.FixedZone("z", 24*3600))} {
		rs := []audit.Record{{Entry: audit.Entry{Time: tm}}}
		_, want := json.Marshal(accessJSON(rs))
		if _, err := appendAccess(nil, rs); (err == nil) != (want == nil) || want == nil {
			t.Errorf("%v: appendAccess says %v, json.Marshal %v", tm, err, want)
		}
	}
}
