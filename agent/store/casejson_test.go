package store

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// odd strings: every kind of character encoding/json escapes or replaces.
var oddStrings = []string{
	"", "plain", "Åsa Öberg-Ängström", `quote " and \ backslash`, "<script>&amp;</script>",
	"tab\tnewline\ncr\rbs\bff\f", "\x00\x01\x1f\x7f", "line\u2028para\u2029", "bad \xff utf-8 \xc3",
	"emoji 🩺 and CJK 診療", strings.Repeat("x", 3000),
}

// fullCase sets every field of a case, strings from s and times at t.
func fullCase(s string, t time.Time) *cases.Case {
	return &cases.Case{
		ID: cases.ID(s), Unit: s, Type: casetype.Type(s),
		Patient:  cases.Person{PNR: personnummer.Personnummer(s), Name: s},
		Guardian: &cases.Person{PNR: personnummer.Personnummer(s), Name: s},
		Fields:   []cases.Field{{Name: s, Label: s, Value: s}, {}},
		Status:   cases.Status(s), Assignee: s, Group: s,
		SentAt: t, ReceivedAt: t, DueAt: t, AnsweredAt: t, ClosedAt: t, ServiceVersion: 3, AnswerDays: 1,
		Messages: []cases.Message{
			{ID: s, Kind: cases.MessageKind(s), Author: s, Text: s, Signature: s, AuthorTitle: s, At: t},
			{},
		},
		History: []cases.Event{
			{At: t, Actor: s, Action: cases.Action(s), From: cases.Status(s), To: cases.Status(s), Assignee: s, Group: s},
			{},
		},
		Subject: s, InitiatedBy: s, NoReply: true, Relaxed: []string{s, ""}, Refs: []cases.Ref{{By: s, System: s, Value: s, At: t}, {}},
		Version: 1<<64 - 1,
	}
}

func checkEncodeCase(t *testing.T, c *cases.Case) {
	t.Helper()
	want, wantErr := json.Marshal(c)
	got, err := encodeCase(c)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("encodeCase error %v, json.Marshal error %v", err, wantErr)
	}
	if err == nil && !bytes.Equal(got, want) {
		t.Fatalf("encodeCase differs from json.Marshal:\n got %s\nwant %s", got, want)
	}
}

func TestEncodeCaseIsJSONMarshal(t *testing.T) {
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	times := []time.Time{
		{}, t0, t0.Add(123456789), t0.In(stockholm), t0.In(time.FixedZone("", -(23*3600 + 59*60))),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	}
	for _, s := range oddStrings {
		for _, tm := range times {
			checkEncodeCase(t, fullCase(s, tm))
		}
	}
	checkEncodeCase(t, &cases.Case{})
	for n := range 20 {
		checkEncodeCase(t, newCase(n, text2k))
	}
	for _, bad := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		t0.In(time.FixedZone("", 24*3600)), t0.In(time.FixedZone("", -25*3600)),
	} {
		c := newCase(1, "text")
		c.History = append(c.History, cases.Event{At: bad})
		if _, err := encodeCase(c); err == nil {
			t.Errorf("a case with the time %v encoded; json.Marshal refuses it", bad)
		}
		checkEncodeCase(t, c)
	}
}

// TestEncodeCaseKnowsEveryField fails when a field is added to a case (or
// a json tag changes) until appendCase writes it: update appendCase, then
// this list.
func TestEncodeCaseKnowsEveryField(t *testing.T) {
	known := map[reflect.Type][]string{
		reflect.TypeFor[cases.Case]():    {`ID json:"id"`, `Unit json:"unit"`, `Type json:"type"`, `Patient json:"patient"`, `Guardian json:"guardian,omitempty"`, `Fields json:"fields,omitempty"`, `Status json:"status"`, `Assignee json:"assignee,omitempty"`, `Group json:"group,omitempty"`, `SentAt json:"sentAt,omitzero"`, `ReceivedAt json:"receivedAt"`, `DueAt json:"dueAt"`, `ServiceVersion json:"serviceVersion,omitempty"`, `AnswerDays json:"answerDays,omitempty"`, `AnsweredAt json:"answeredAt,omitzero"`, `ClosedAt json:"closedAt,omitzero"`, `Messages json:"messages,omitempty"`, `History json:"history,omitempty"`, `Subject json:"subject,omitempty"`, `InitiatedBy json:"initiatedBy,omitempty"`, `NoReply json:"noReply,omitempty"`, `Relaxed json:"relaxed,omitempty"`, `Refs json:"refs,omitempty"`, `Version json:"version"`},
		reflect.TypeFor[cases.Ref]():     {`By json:"by"`, `System json:"system"`, `Value json:"value"`, `At json:"at"`},
		reflect.TypeFor[cases.Person]():  {`PNR json:"pnr"`, `Name json:"name"`},
		reflect.TypeFor[cases.Field]():   {`Name json:"name"`, `Label json:"label"`, `Value json:"value"`},
		reflect.TypeFor[cases.Message](): {`ID json:"id"`, `Kind json:"kind"`, `Author json:"author"`, `Text json:"text"`, `Signature json:"signature,omitempty"`, `AuthorTitle json:"authorTitle,omitempty"`, `At json:"at"`},
		reflect.TypeFor[cases.Event]():   {`At json:"at"`, `Actor json:"actor"`, `Action json:"action"`, `From json:"from,omitempty"`, `To json:"to"`, `Assignee json:"assignee,omitempty"`, `Group json:"group,omitempty"`},
	}
	for typ, want := range known {
		var got []string
		for f := range typ.Fields() {
			got = append(got, f.Name+" "+string(f.Tag))
			if k := f.Type.Kind(); k == reflect.Struct && f.Type != reflect.TypeFor[time.Time]() && known[f.Type] == nil {
				t.Errorf("%s.%s is a struct appendCase does not know", typ.Name(), f.Name)
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s has the fields\n%s\nbut appendCase writes\n%s\nupdate appendCase (casejson.go) and this list", typ.Name(), strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[cases.ID](), reflect.TypeFor[casetype.Type](), reflect.TypeFor[cases.Status](),
		reflect.TypeFor[personnummer.Personnummer](), reflect.TypeFor[cases.MessageKind](), reflect.TypeFor[cases.Action](),
	} {
		if typ.Kind() != reflect.String {
			t.Errorf("%s is no longer a string", typ.Name())
		}
		for _, iface := range []reflect.Type{reflect.TypeFor[json.Marshaler](), reflect.TypeFor[interface{ MarshalText() ([]byte, error) }]()} {
			if typ.Implements(iface) || reflect.PointerTo(typ).Implements(iface) {
				t.Errorf("%s has its own encoding, which appendCase does not call", typ.Name())
			}
		}
	}
}

func FuzzEncodeCase(f *testing.F) {
	for _, s := range oddStrings[:len(oddStrings)-1] {
		f.Add(s, int64(0), 0)
	}
	f.Add("x", int64(-62167219200), 3600)
	f.Add("y", int64(253402300800), -86400)
	f.Fuzz(func(t *testing.T, s string, unix int64, offset int) {
		tm := time.Unix(unix, int64(offset)).In(time.FixedZone("", offset))
		checkEncodeCase(t, fullCase(s, tm))
	})
}

func BenchmarkEncodeCase(b *testing.B) {
	c := newCase(1, text2k)
	b.Run("appendCase", func(b *testing.B) {
		for b.Loop() {
			if _, err := encodeCase(c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncodeSmallCase(b *testing.B) {
	c := newCase(1, "Kanarietext: ont i halsen sedan i tisdags")
	b.Run("appendCase", func(b *testing.B) {
		for b.Loop() {
			if _, err := encodeCase(c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(c); err != nil {
				b.Fatal(err)
			}
		}
	})
}
