package store

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/central/backlogtest"
	"clinicgw/sync/wire/casetype"
)

// TestStoreDecodesOwnRecordsWithoutReflection (issue 18): cases read back
// from the store, which its own encoder wrote, are decoded by
// decodeCaseRecord: none of them may take json.Unmarshal, which was 12 %
// of the gateway's CPU under `make load`.
func TestStoreDecodesOwnRecordsWithoutReflection(t *testing.T) {
	db, _ := testStore(t)
	cs := realisticCases()
	insert(t, db, cs...)
	var slow atomic.Int64
	caseDecodedSlow = func() { slow.Add(1) }
	defer func() { caseDecodedSlow = nil }()
	for _, c := range cs {
		got, err := get(db, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != c.ID || got.Version != 1 {
			t.Fatalf("case %s read back as %s version %d", c.ID, got.ID, got.Version)
		}
	}
	if n := slow.Load(); n != 0 {
		t.Errorf("%d of %d records the store wrote fell back to json.Unmarshal", n, len(cs))
	}
}

// realisticCases are cases of every type as they live: received,
// assigned, answered in parts, with a guardian, answers of a form,
// references, flagged fields, started by staff, closed.
func realisticCases() []*cases.Case {
	var cs []*cases.Case
	for n, typ := range casetype.All {
		for k := range 4 {
			i := n*4 + k
			c := newCase(i, backlogtest.SwedishText(i, 200+300*k))
			c.Type = typ
			c.ServiceVersion = k
			if k%2 == 1 {
				c.Guardian = &cases.Person{PNR: c.Patient.PNR, Name: "Förälder \"Test\" <Ståhl>"}
				c.AnswerDays = 3
			}
			c.Fields = append(c.Fields, cases.Field{Name: "symptom", Label: "Besvär", Value: "Hosta\nfeber\t39°"})
			at := c.ReceivedAt
			if k >= 1 {
				c.Status, c.Assignee, c.Group = cases.Assigned, "SE2321000016-1001", "g-lakare"
				c.History = append(c.History,
					cases.Event{At: at.Add(time.Minute), Actor: "SE2321000016-1000", Action: cases.Assign, From: cases.Received, To: cases.Assigned, Assignee: c.Assignee, Group: c.Group})
			}
			if k >= 2 {
				c.Status = cases.PartiallyAnswered
				c.Messages = append(c.Messages, cases.Message{ID: "m2", Kind: cases.PartialAnswer, Author: c.Assignee,
					Text: "Hej!\r\nVi återkommer.", Signature: "Dr Test, läkare", AuthorTitle: "Läkare", At: at.Add(time.Hour + 123456789)})
				c.History = append(c.History, cases.Event{At: at.Add(time.Hour), Actor: c.Assignee, Action: cases.SendPartial, From: cases.Assigned, To: cases.PartiallyAnswered})
				c.Refs = []cases.Ref{{By: "SE2321000016-9000", System: "urn:oid:1.2.752.129.2.1.2.1", Value: "journal/123", At: at.Add(2 * time.Hour)}}
				c.Relaxed = []string{"text", "fields[0].value"}
			}
			if k == 3 {
				c.Status = cases.Closed
				c.AnsweredAt, c.ClosedAt = at.Add(3*time.Hour), at.Add(4*time.Hour)
				c.Subject, c.InitiatedBy, c.NoReply = "Provsvar\u2028klart", c.Assignee, true
				c.SentAt = c.ReceivedAt
				c.History = append(c.History, cases.Event{At: c.ClosedAt, Actor: c.Assignee, Action: cases.Close, From: cases.PartiallyAnswered, To: cases.Closed})
			}
			cs = append(cs, c)
		}
	}
	return cs
}

// checkDecodeCase holds decodeCaseRecord to json.Unmarshal on b: where it
// decodes b, json.Unmarshal must too, to the same case. It reports
// whether decodeCaseRecord decoded b.
func checkDecodeCase(t *testing.T, b []byte) bool {
	t.Helper()
	got, ok := decodeCaseRecord(b)
	if !ok {
		return false
	}
	var want cases.Case
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("decodeCaseRecord decoded what json.Unmarshal refuses (%v):\n%q", err, b)
	}
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("decodeCaseRecord differs from json.Unmarshal on\n%q\n got %#v\nwant %#v", b, got, &want)
	}
	return true
}

// TestDecodeCaseIsJSONUnmarshal: every record encodeCase writes, of
// realistic cases and of cases with every field set to odd strings and
// times, decodes fast to what json.Unmarshal gives; records out of
// appendCase's form (an older release's, reordered, spaced) fall back.
func TestDecodeCaseIsJSONUnmarshal(t *testing.T) {
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	var all []*cases.Case
	all = append(all, realisticCases()...)
	times := []time.Time{
		{}, t0, t0.Add(123456789), t0.In(stockholm), t0.In(time.FixedZone("", -(23*3600 + 59*60))), t0.In(time.FixedZone("", 3601)),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	}
	for _, s := range oddStrings {
		for _, tm := range times {
			all = append(all, fullCase(s, tm))
		}
	}
	all = append(all, &cases.Case{}, &cases.Case{Version: 7, ServiceVersion: -3, AnswerDays: -1})
	for _, c := range all {
		b, err := encodeCase(c)
		if err != nil {
			t.Fatal(err)
		}
		if !checkDecodeCase(t, b) {
			t.Errorf("a record encodeCase wrote fell back to json.Unmarshal:\n%q", b)
		}
	}
	rec, err := encodeCase(realisticCases()[7])
	if err != nil {
		t.Fatal(err)
	}
	// A record of a release before sentAt is appendCase's form of a case
	// without one (decodeCase then takes receivedAt for it).
	if old := bytes.Replace(rec, []byte(`"sentAt":"2026-03-02T09:37:00Z",`), nil, 1); len(old) == len(rec) || !checkDecodeCase(t, old) {
		t.Errorf("a record without sentAt fell back to json.Unmarshal:\n%s", old)
	}
	for name, b := range map[string][]byte{
		"spaced":            bytes.Replace(rec, []byte(`"unit":`), []byte(`"unit": `), 1),
		"trailing space":    append(bytes.Clone(rec), ' '),
		"reordered":         []byte(`{"unit":"u","id":"c1","type":"t","patient":{"pnr":"","name":""},"status":"","receivedAt":"0001-01-01T00:00:00Z","dueAt":"0001-01-01T00:00:00Z","version":1}`),
		"unknown member":    bytes.Replace(rec, []byte(`,"version":`), []byte(`,"extra":1,"version":`), 1),
		"key in other case": bytes.Replace(rec, []byte(`"unit":`), []byte(`"Unit":`), 1),
		"empty fields":      bytes.Replace(rec, []byte(`,"status":`), []byte(`,"fields":[],"status":`), 1),
		"noReply false":     bytes.Replace(rec, []byte(`,"version":`), []byte(`,"noReply":false,"version":`), 1),
		"invalid UTF-8":     bytes.Replace(rec, []byte(`"Förälder`), []byte("\"F\xffrälder"), 1),
		"lone surrogate":    bytes.Replace(rec, []byte(`"Förälder`), []byte(`"F\ud800rälder`), 1),
		"version 0.0":       bytes.Replace(rec, []byte(`"version":0}`), []byte(`"version":0.0}`), 1),
		"version 00":        bytes.Replace(rec, []byte(`"version":0}`), []byte(`"version":00}`), 1),
		"time not RFC 3339": bytes.Replace(rec, []byte(`"dueAt":"2026-03-04T09:37:00Z"`), []byte(`"dueAt":"2026-03-04 09:37:00Z"`), 1),
		"time null":         bytes.Replace(rec, []byte(`"dueAt":"2026-03-04T09:37:00Z"`), []byte(`"dueAt":null`), 1),
	} {
		if bytes.Equal(b, rec) && name != "trailing space" {
			t.Fatalf("%s: the edit did not apply to\n%s", name, rec)
		}
		if checkDecodeCase(t, b) {
			t.Errorf("%s: decoded fast; it is not appendCase's form", name)
		}
	}
}

// FuzzDecodeCaseRecord: on any bytes, what decodeCaseRecord decodes,
// json.Unmarshal decodes to the same case.
func FuzzDecodeCaseRecord(f *testing.F) {
	for _, c := range realisticCases()[:12] {
		b, err := encodeCase(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"id":"a\u2028\ud83e\udd7a\/","unit":"","type":"","patient":{"pnr":"","name":""},"status":"","receivedAt":"0001-01-01T00:00:00+01:00","dueAt":"9999-12-31T23:59:59.999999999-23:59","version":0}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecodeCase(t, b)
	})
}

// FuzzDecodeEncodedCase: a case with any strings (escapes, U+2028,
// invalid UTF-8, which the encoder writes as U+FFFD) and any time, as
// encodeCase writes it, decodes fast to what json.Unmarshal gives.
func FuzzDecodeEncodedCase(f *testing.F) {
	for _, s := range oddStrings[:len(oddStrings)-1] {
		f.Add(s, int64(0), 0, 0)
	}
	f.Add("x", int64(-62167219200), 3600, 5)
	f.Add("y", int64(253402300800), -86400, 40)
	f.Fuzz(func(t *testing.T, s string, unix int64, offset, n int) {
		tm := time.Unix(unix, int64(offset)).In(time.FixedZone("", offset))
		c := fullCase(s, tm)
		if rc := realisticCases(); n >= 0 && n < len(rc) {
			c = rc[n]
			c.Patient.Name, c.Messages[0].Text, c.ClosedAt = s, s, tm
		}
		b, err := encodeCase(c)
		if err != nil {
			return // a time json.Marshal refuses
		}
		if !checkDecodeCase(t, b) {
			t.Fatalf("a record encodeCase wrote fell back to json.Unmarshal:\n%q", b)
		}
	})
}

// BenchmarkDecodeCase decodes 1000 realistic records, fast and by
// json.Unmarshal; json.Unmarshal's metric json/fast is how many times
// the fast path's time it takes (cachegrind: 46 against 239 thousand
// instructions a record).
func BenchmarkDecodeCase(b *testing.B) {
	rc := realisticCases()
	var recs [][]byte
	for i := range 1000 {
		r, err := encodeCase(rc[i%len(rc)])
		if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, r)
	}
	var fast time.Duration
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			for _, r := range recs {
				if _, ok := decodeCaseRecord(r); !ok {
					b.Fatal("fell back")
				}
			}
		}
		fast = b.Elapsed() / time.Duration(b.N)
	})
	b.Run("json.Unmarshal", func(b *testing.B) {
		for b.Loop() {
			for _, r := range recs {
				var c cases.Case
				if err := json.Unmarshal(r, &c); err != nil {
					b.Fatal(err)
				}
			}
		}
		if slow := b.Elapsed() / time.Duration(b.N); fast > 0 {
			b.ReportMetric(float64(slow)/float64(fast), "json/fast")
		}
	})
}
