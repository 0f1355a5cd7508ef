package wire

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// runes returns n characters of text; "å" is two bytes, so a limit counted
// in bytes would show.
func runes(n int) string { return strings.Repeat("å", n) }

// token returns an identifier of n characters.
func token(n int) string { return strings.Repeat("k", n) }

func withdrawn(seq uint64) Event {
	return Event{Seq: seq, ID: fmt.Sprintf("ev-%d", seq), Kind: EventCaseWithdrawn, CaseID: caseID1, At: t0}
}

func inboxWith(c func(*NewCase)) Body {
	nc := canonicalNewCase()
	c(nc)
	return InboxPage{Events: []Event{{Seq: 1, ID: "e", Kind: EventCaseCreated, CaseID: caseID1, At: t0, Case: nc}}, Cursor: 1}
}

func batchWith(c func(*StaffMessage, *OutboxItem)) Body {
	b := canonicalOutboxBatch()
	c(b.Items[0].Message, &b.Items[0])
	return b
}

func formsWith(c func(*Form)) Body {
	s := canonicalFormSet()
	c(&s.Forms[0])
	return s
}

// TestLimits builds each body at a limit, which must decode, and one past
// it, which must not: each limit exceeded by one.
func TestLimits(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		at    func(n int) Body
	}{
		{"inbox events", MaxInboxLimit, func(n int) Body {
			p := InboxPage{Cursor: uint64(n)}
			for i := 1; i <= n; i++ {
				p.Events = append(p.Events, withdrawn(uint64(i)))
			}
			return p
		}},
		{"inbox seq", 0, func(n int) Body {
			return InboxPage{Events: []Event{withdrawn(MaxSeq + uint64(n))}, Cursor: MaxSeq + uint64(n)}
		}},
		{"inbox cursor", 0, func(n int) Body { return InboxPage{Cursor: MaxSeq + uint64(n)} }},
		{"event id", MaxIDLen, func(n int) Body {
			e := withdrawn(1)
			e.ID = token(n)
			return InboxPage{Events: []Event{e}, Cursor: 1}
		}},
		{"case fields", MaxFields, func(n int) Body {
			return inboxWith(func(c *NewCase) {
				c.Fields = nil
				for i := range n {
					c.Fields = append(c.Fields, Field{Name: fmt.Sprint("f", i), Label: "L", Value: "v"})
				}
			})
		}},
		{"case text", MaxTextLen, func(n int) Body { return inboxWith(func(c *NewCase) { c.Text = runes(n) }) }},
		{"field value", MaxFieldValueLen, func(n int) Body { return inboxWith(func(c *NewCase) { c.Fields[0].Value = runes(n) }) }},
		{"field label", MaxLabelLen, func(n int) Body { return inboxWith(func(c *NewCase) { c.Fields[0].Label = runes(n) }) }},
		{"field name", MaxIDLen, func(n int) Body { return inboxWith(func(c *NewCase) { c.Fields[0].Name = token(n) }) }},
		{"patient name", MaxNameLen, func(n int) Body { return inboxWith(func(c *NewCase) { c.Patient.Name = runes(n) }) }},
		{"case type", MaxIDLen, func(n int) Body { return inboxWith(func(c *NewCase) { c.Type = token(n) }) }},
		{"follow-up text", MaxTextLen, func(n int) Body {
			return InboxPage{Events: []Event{{Seq: 1, ID: "e", Kind: EventCaseFollowUp, CaseID: caseID1, At: t0,
				Message: &PatientMessage{ID: "m", Text: runes(n)}}}, Cursor: 1}
		}},
		{"ack cursor", 0, func(n int) Body { return Ack{Cursor: MaxSeq + uint64(n)} }},
		{"outbox items", MaxOutboxItems, func(n int) Body {
			var b OutboxBatch
			for i := range n {
				b.Items = append(b.Items, OutboxItem{IdempotencyKey: fmt.Sprint("k", i), CaseID: caseID1, Kind: OutboxStatus, At: t0, Status: StatusAssigned})
			}
			return b
		}},
		{"idempotency key", MaxIDLen, func(n int) Body {
			return batchWith(func(_ *StaffMessage, it *OutboxItem) { it.IdempotencyKey = token(n) })
		}},
		{"staff text", MaxTextLen, func(n int) Body { return batchWith(func(m *StaffMessage, _ *OutboxItem) { m.Text = runes(n) }) }},
		{"signature", MaxSignatureLen, func(n int) Body { return batchWith(func(m *StaffMessage, _ *OutboxItem) { m.Signature = runes(n) }) }},
		{"author title", MaxLabelLen, func(n int) Body { return batchWith(func(m *StaffMessage, _ *OutboxItem) { m.AuthorTitle = runes(n) }) }},
		{"outbox results", MaxOutboxItems, func(n int) Body {
			var r OutboxResult
			for i := range n {
				r.Results = append(r.Results, ItemResult{IdempotencyKey: fmt.Sprint("k", i), Status: ItemAccepted})
			}
			return r
		}},
		{"result problem detail", MaxProblemDetailLen, func(n int) Body {
			r := canonicalOutboxResult()
			r.Results[2].Problem.Detail = runes(n)
			return r
		}},
		{"forms", MaxForms, func(n int) Body {
			var s FormSet
			for i := range n {
				s.Forms = append(s.Forms, Form{ID: fmt.Sprint("form-", i), Version: 1, Title: Text{SV: "T"}})
			}
			return s
		}},
		{"form fields", MaxFormFields, func(n int) Body {
			return formsWith(func(f *Form) {
				f.Fields = nil
				for i := range n {
					f.Fields = append(f.Fields, FormField{Name: fmt.Sprint("f", i), Label: Text{SV: "L"}, Kind: FieldText})
				}
			})
		}},
		{"options", MaxOptions, func(n int) Body {
			return formsWith(func(f *Form) {
				f.Fields[1].Options = []Option{{Value: "named", Label: Text{SV: "x"}}}
				for i := 1; i < n; i++ {
					f.Fields[1].Options = append(f.Fields[1].Options, Option{Value: fmt.Sprint("o", i), Label: Text{SV: "x"}})
				}
			})
		}},
		{"form version", 0, func(n int) Body { return formsWith(func(f *Form) { f.Version = MaxFormVersion + n }) }},
		{"form title", MaxLabelLen, func(n int) Body { return formsWith(func(f *Form) { f.Title.EN = runes(n) }) }},
		{"form intro", MaxHelpLen, func(n int) Body { return formsWith(func(f *Form) { f.Intro.SV = runes(n) }) }},
		{"field help", MaxHelpLen, func(n int) Body { return formsWith(func(f *Form) { f.Fields[0].Help = Text{SV: runes(n)} }) }},
		{"option label", MaxLabelLen, func(n int) Body { return formsWith(func(f *Form) { f.Fields[1].Options[0].Label.SV = runes(n) }) }},
		{"option value", MaxIDLen, func(n int) Body {
			return formsWith(func(f *Form) { f.Fields[1].Options[0].Value = token(n) })
		}},
		{"form id", MaxIDLen, func(n int) Body { return formsWith(func(f *Form) { f.ID = token(n) }) }},
		{"stream seq", 0, func(n int) Body { return StreamMessage{Type: StreamEvents, Seq: MaxSeq + uint64(n)} }},
		{"problem title", MaxProblemTitleLen, func(n int) Body { return Problem{Type: "urn:x", Title: runes(n)} }},
		{"problem detail", MaxProblemDetailLen, func(n int) Body { return Problem{Type: "urn:x", Detail: runes(n)} }},
		{"problem type", MaxURILen, func(n int) Body { return Problem{Type: "urn:" + token(n-4)} }},
		{"problem instance", MaxURILen, func(n int) Body { return Problem{Type: "urn:x", Instance: "/" + token(n-1)} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok := tc.at(tc.limit)
			if _, err := decodeAs(ok, mustEncode(ok)); err != nil {
				t.Fatalf("at the limit: %v", err)
			}
			if _, err := Marshal(ok); err != nil {
				t.Fatalf("Marshal at the limit: %v", err)
			}
			over := tc.at(tc.limit + 1)
			_, err := decodeAs(over, mustEncode(over))
			wantBadRequest(t, err)
			if _, err := Marshal(over); err == nil {
				t.Fatal("Marshal past the limit succeeded")
			}
		})
	}
}

// decodeAs decodes b with the decoder of v's type.
func decodeAs(v Body, b []byte) (Body, error) {
	for _, bd := range bodies {
		if fmt.Sprintf("%T", bd.value()) == fmt.Sprintf("%T", v) {
			return bd.decode(reader(b))
		}
	}
	panic(fmt.Sprintf("no decoder for %T", v))
}

// TestControlCharacters checks single-line and multi-line text.
func TestControlCharacters(t *testing.T) {
	line := []struct {
		name string
		set  func(string) Body
	}{
		{"patient name", func(s string) Body { return inboxWith(func(c *NewCase) { c.Patient.Name = s }) }},
		{"field label", func(s string) Body { return inboxWith(func(c *NewCase) { c.Fields[0].Label = s }) }},
		{"author title", func(s string) Body {
			return batchWith(func(m *StaffMessage, _ *OutboxItem) { m.AuthorTitle = s })
		}},
		{"form title", func(s string) Body { return formsWith(func(f *Form) { f.Title.SV = s }) }},
		{"option label", func(s string) Body { return formsWith(func(f *Form) { f.Fields[1].Options[0].Label.EN = s }) }},
		{"problem title", func(s string) Body { return Problem{Type: "urn:x", Title: s} }},
	}
	multi := []struct {
		name string
		set  func(string) Body
	}{
		{"case text", func(s string) Body { return inboxWith(func(c *NewCase) { c.Text = s }) }},
		{"field value", func(s string) Body { return inboxWith(func(c *NewCase) { c.Fields[0].Value = s }) }},
		{"staff text", func(s string) Body { return batchWith(func(m *StaffMessage, _ *OutboxItem) { m.Text = s }) }},
		{"signature", func(s string) Body { return batchWith(func(m *StaffMessage, _ *OutboxItem) { m.Signature = s }) }},
		{"form intro", func(s string) Body { return formsWith(func(f *Form) { f.Intro.SV = s }) }},
		{"problem detail", func(s string) Body { return Problem{Type: "urn:x", Detail: s} }},
	}
	breaks := []string{"a\nb", "a\r\nb", "a\tb"}
	never := []string{"a\x00b", "a\x07b", "a\x1bb[31m", "a\x7fb", "a\u0085b", "a\u2028b", "a\u2029b", "a\x1fb"}
	for _, tc := range line {
		for _, s := range append(append([]string{}, breaks...), never...) {
			v := tc.set(s)
			_, err := decodeAs(v, mustEncode(v))
			if err == nil {
				t.Errorf("%s %q: decoded", tc.name, s)
			}
		}
		if v := tc.set("Å ä ö – “quoted” 😀"); v.Validate() != nil {
			t.Errorf("%s: plain text refused: %v", tc.name, v.Validate())
		}
	}
	for _, tc := range multi {
		for _, s := range breaks {
			v := tc.set(s)
			if _, err := decodeAs(v, mustEncode(v)); err != nil {
				t.Errorf("%s %q: %v", tc.name, s, err)
			}
		}
		for _, s := range never {
			v := tc.set(s)
			if _, err := decodeAs(v, mustEncode(v)); err == nil {
				t.Errorf("%s %q: decoded", tc.name, s)
			}
		}
	}
	// Invalid UTF-8 in a Go value: Validate refuses it before Marshal would
	// quietly replace it.
	v := inboxWith(func(c *NewCase) { c.Text = "a\xffb" })
	if _, err := Marshal(v); err == nil {
		t.Error("Marshal accepted invalid UTF-8")
	}
}

// TestMaxEventBytes checks that the largest event fits MaxEventBytes even
// when another implementation writes every non-ASCII character as \u
// escapes (12 bytes for a character outside the BMP), and that such a page
// of one event fits MaxBodyBytes.
func TestMaxEventBytes(t *testing.T) {
	big := "😀" // 4 bytes in UTF-8, 12 as escapes
	e := Event{Seq: MaxSeq, ID: token(MaxIDLen), Kind: EventCaseCreated, CaseID: caseID1, At: t0.Add(time.Nanosecond), Case: &NewCase{
		Type:     token(MaxIDLen),
		Patient:  Person{PNR: pnrChild, Name: strings.Repeat(big, MaxNameLen)},
		Guardian: &Person{PNR: pnrAdult, Name: strings.Repeat(big, MaxNameLen)},
		Text:     strings.Repeat(big, MaxTextLen),
	}}
	for i := range MaxFields {
		name := fmt.Sprintf("%s%02d", token(MaxIDLen-2), i)
		e.Case.Fields = append(e.Case.Fields, Field{Name: name, Label: strings.Repeat(big, MaxLabelLen), Value: strings.Repeat(big, MaxFieldValueLen)})
	}
	b, err := Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	escaped := len(b) + 8*strings.Count(string(b), big)
	if escaped > MaxEventBytes {
		t.Errorf("the largest event, escaped, is %d bytes; MaxEventBytes is %d", escaped, MaxEventBytes)
	}
	if MaxEventBytes+100 > MaxBodyBytes {
		t.Errorf("a page of one largest event does not fit MaxBodyBytes")
	}
	// A batch of the largest items fits too (written by this package).
	var batch OutboxBatch
	for i := range MaxOutboxItems {
		batch.Items = append(batch.Items, OutboxItem{IdempotencyKey: fmt.Sprintf("%s%03d", token(MaxIDLen-3), i), CaseID: caseID1, Kind: OutboxAnswer, At: t0,
			Message: &StaffMessage{ID: token(MaxIDLen), Text: strings.Repeat(big, MaxTextLen), Signature: strings.Repeat(big, MaxSignatureLen), AuthorTitle: strings.Repeat(big, MaxLabelLen)}})
	}
	if _, err := Marshal(batch); err != nil {
		t.Errorf("the largest batch: %v", err)
	}
}

// TestInboxQuery checks the query of GET /v1/inbox both ways.
func TestInboxQuery(t *testing.T) {
	tests := []struct {
		q    string
		want InboxQuery
		ok   bool
	}{
		{"", InboxQuery{0, DefaultInboxLimit}, true},
		{"after=42", InboxQuery{42, DefaultInboxLimit}, true},
		{"after=42&limit=1", InboxQuery{42, 1}, true},
		{"limit=500", InboxQuery{0, 500}, true},
		{"after=9007199254740991", InboxQuery{MaxSeq, DefaultInboxLimit}, true},
		{"limit=501", InboxQuery{}, false},
		{"limit=0", InboxQuery{}, false},
		{"limit=-1", InboxQuery{}, false},
		{"limit=", InboxQuery{}, false},
		{"after=9007199254740992", InboxQuery{}, false},
		{"after=18446744073709551616", InboxQuery{}, false},
		{"after=+1", InboxQuery{}, false},
		{"after=1e2", InboxQuery{}, false},
		{"after=0x10", InboxQuery{}, false},
		{"after=%201", InboxQuery{}, false},
		{"after=1&after=2", InboxQuery{}, false},
		{"after=1&CANARY=2", InboxQuery{}, false},
		{"After=1", InboxQuery{}, false},
	}
	for _, tc := range tests {
		v, err := url.ParseQuery(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseInboxQuery(v)
		if tc.ok {
			if err != nil || got != tc.want {
				t.Errorf("%q: %+v, %v; want %+v", tc.q, got, err, tc.want)
			}
			again, err := url.ParseQuery(got.Encode())
			if err != nil {
				t.Fatal(err)
			}
			if back, err := ParseInboxQuery(again); err != nil || back != got {
				t.Errorf("%q: Encode does not round-trip: %q", tc.q, got.Encode())
			}
			continue
		}
		wantBadRequest(t, err)
		if strings.Contains(err.Error(), "CANARY") {
			t.Errorf("%q: error repeats the query: %v", tc.q, err)
		}
	}
	if got := (InboxQuery{After: 7}).Encode(); got != "after=7&limit=100" {
		t.Errorf("Encode = %q", got)
	}
}
