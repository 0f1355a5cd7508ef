package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/jsontext"
)

// A case record's plaintext is the case's encoding/json encoding. On the
// sync path encoding it by reflection was the largest single cost per new
// case, so appendCase writes the same bytes directly: the tests hold it to
// json.Marshal byte for byte, on fixed and fuzzed cases, and fail when a
// field is added to cases.Case or the types in it, until appendCase knows
// of it. Records in exactly that form decode by decodeCaseRecord
// (casejsonin.go), which reads them in appendCase's order; any other form
// (a record of an older release) by json.Unmarshal, whose result the fast
// path is held to.

// encodeCase returns the JSON encoding of c, exactly as json.Marshal does.
func encodeCase(c *cases.Case) ([]byte, error) {
	if b, ok := appendCase(make([]byte, 0, caseSizeHint(c)), c); ok {
		return b, nil
	}
	// A time json.Marshal refuses: let it say why.
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode case %s: %w", c.ID, err)
	}
	return b, nil
}

// caseSizeHint is about the length of c's encoding, a little more: the
// members' names and times, each element's, and its strings with an
// eighth more for escapes (line breaks in a text). One buffer then holds
// the record; a case whose strings are mostly escapes takes more.
func caseSizeHint(c *cases.Case) int {
	strs := len(c.ID) + len(c.Unit) + len(c.Type) + len(c.Patient.PNR) + len(c.Patient.Name) + len(c.Status) +
		len(c.Assignee) + len(c.Group) + len(c.Subject) + len(c.InitiatedBy)
	if g := c.Guardian; g != nil {
		strs += len(g.PNR) + len(g.Name)
	}
	for _, f := range c.Fields {
		strs += len(f.Name) + len(f.Label) + len(f.Value)
	}
	for _, m := range c.Messages {
		strs += len(m.ID) + len(m.Kind) + len(m.Author) + len(m.Text) + len(m.Signature) + len(m.AuthorTitle)
	}
	for _, e := range c.History {
		strs += len(e.Actor) + len(e.Action) + len(e.From) + len(e.To) + len(e.Assignee) + len(e.Group)
	}
	for _, r := range c.Relaxed {
		strs += len(r)
	}
	for _, r := range c.Refs {
		strs += len(r.By) + len(r.System) + len(r.Value)
	}
	elems := 48*len(c.Fields) + 160*(len(c.Messages)+len(c.History)) + 128*len(c.Refs) + 8*len(c.Relaxed)
	return 512 + elems + strs + strs/8
}

// appendCase appends c's encoding to dst. It reports false, and what it
// appended is to be discarded, when c holds a time json.Marshal refuses.
func appendCase(dst []byte, c *cases.Case) ([]byte, bool) { return appendCaseTexts(dst, c, nil) }

// appendCaseTexts is appendCase copying the encodings texts holds of c's
// patient's name, answers and first message's text (each is json.Marshal's
// encoding of the value: cases.WireTexts), instead of quoting them.
func appendCaseTexts(dst []byte, c *cases.Case, texts *cases.WireTexts) ([]byte, bool) {
	ok := true
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, string(c.ID))
	dst = append(dst, `,"unit":`...)
	dst = appendJSONString(dst, c.Unit)
	dst = append(dst, `,"type":`...)
	dst = appendJSONString(dst, string(c.Type))
	dst = append(dst, `,"patient":{"pnr":`...)
	dst = appendJSONString(dst, string(c.Patient.PNR))
	dst = append(dst, `,"name":`...)
	if b := texts.NameJSON(c.Patient.Name); b != nil {
		dst = append(dst, b...)
	} else {
		dst = appendJSONString(dst, c.Patient.Name)
	}
	dst = append(dst, '}')
	if c.Guardian != nil {
		dst = append(dst, `,"guardian":`...)
		dst = appendPerson(dst, c.Guardian)
	}
	if b := texts.FieldsJSON(c.Fields); len(c.Fields) > 0 && b != nil {
		dst = append(dst, `,"fields":`...)
		dst = append(dst, b...)
	} else if len(c.Fields) > 0 {
		dst = append(dst, `,"fields":[`...)
		for i := range c.Fields {
			f := &c.Fields[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"name":`...)
			dst = appendJSONString(dst, f.Name)
			dst = append(dst, `,"label":`...)
			dst = appendJSONString(dst, f.Label)
			dst = append(dst, `,"value":`...)
			dst = appendJSONString(dst, f.Value)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"status":`...)
	dst = appendJSONString(dst, string(c.Status))
	if c.Assignee != "" {
		dst = append(dst, `,"assignee":`...)
		dst = appendJSONString(dst, c.Assignee)
	}
	if c.Group != "" {
		dst = append(dst, `,"group":`...)
		dst = appendJSONString(dst, c.Group)
	}
	if !c.SentAt.IsZero() {
		dst = append(dst, `,"sentAt":`...)
		dst, ok = appendJSONTime(dst, c.SentAt, ok)
	}
	dst = append(dst, `,"receivedAt":`...)
	dst, ok = appendJSONTime(dst, c.ReceivedAt, ok)
	dst = append(dst, `,"dueAt":`...)
	dst, ok = appendJSONTime(dst, c.DueAt, ok)
	if c.ServiceVersion != 0 {
		dst = append(dst, `,"serviceVersion":`...)
		dst = strconv.AppendInt(dst, int64(c.ServiceVersion), 10)
	}
	if c.AnswerDays != 0 {
		dst = append(dst, `,"answerDays":`...)
		dst = strconv.AppendInt(dst, int64(c.AnswerDays), 10)
	}
	if !c.AnsweredAt.IsZero() {
		dst = append(dst, `,"answeredAt":`...)
		dst, ok = appendJSONTime(dst, c.AnsweredAt, ok)
	}
	if !c.ClosedAt.IsZero() {
		dst = append(dst, `,"closedAt":`...)
		dst, ok = appendJSONTime(dst, c.ClosedAt, ok)
	}
	if len(c.Messages) > 0 {
		dst = append(dst, `,"messages":[`...)
		for i := range c.Messages {
			m := &c.Messages[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"id":`...)
			dst = appendJSONString(dst, m.ID)
			dst = append(dst, `,"kind":`...)
			dst = appendJSONString(dst, string(m.Kind))
			dst = append(dst, `,"author":`...)
			dst = appendJSONString(dst, m.Author)
			dst = append(dst, `,"text":`...)
			if b := texts.TextJSON(m.Text); i == 0 && b != nil {
				dst = append(dst, b...)
			} else {
				dst = appendJSONString(dst, m.Text)
			}
			if m.Signature != "" {
				dst = append(dst, `,"signature":`...)
				dst = appendJSONString(dst, m.Signature)
			}
			if m.AuthorTitle != "" {
				dst = append(dst, `,"authorTitle":`...)
				dst = appendJSONString(dst, m.AuthorTitle)
			}
			dst = append(dst, `,"at":`...)
			dst, ok = appendJSONTime(dst, m.At, ok)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if len(c.History) > 0 {
		dst = append(dst, `,"history":[`...)
		for i := range c.History {
			e := &c.History[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"at":`...)
			dst, ok = appendJSONTime(dst, e.At, ok)
			dst = append(dst, `,"actor":`...)
			dst = appendJSONString(dst, e.Actor)
			dst = append(dst, `,"action":`...)
			dst = appendJSONString(dst, string(e.Action))
			if e.From != "" {
				dst = append(dst, `,"from":`...)
				dst = appendJSONString(dst, string(e.From))
			}
			dst = append(dst, `,"to":`...)
			dst = appendJSONString(dst, string(e.To))
			if e.Assignee != "" {
				dst = append(dst, `,"assignee":`...)
				dst = appendJSONString(dst, e.Assignee)
			}
			if e.Group != "" {
				dst = append(dst, `,"group":`...)
				dst = appendJSONString(dst, e.Group)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if c.Subject != "" {
		dst = append(dst, `,"subject":`...)
		dst = appendJSONString(dst, c.Subject)
	}
	if c.InitiatedBy != "" {
		dst = append(dst, `,"initiatedBy":`...)
		dst = appendJSONString(dst, c.InitiatedBy)
	}
	if c.NoReply {
		dst = append(dst, `,"noReply":true`...)
	}
	if len(c.Relaxed) > 0 {
		dst = append(dst, `,"relaxed":[`...)
		for i, f := range c.Relaxed {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, f)
		}
		dst = append(dst, ']')
	}
	if len(c.Refs) > 0 {
		dst = append(dst, `,"refs":[`...)
		for i := range c.Refs {
			r := &c.Refs[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"by":`...)
			dst = appendJSONString(dst, r.By)
			dst = append(dst, `,"system":`...)
			dst = appendJSONString(dst, r.System)
			dst = append(dst, `,"value":`...)
			dst = appendJSONString(dst, r.Value)
			dst = append(dst, `,"at":`...)
			dst, ok = appendJSONTime(dst, r.At, ok)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"version":`...)
	dst = appendUint(dst, c.Version)
	return append(dst, '}'), ok
}

func appendPerson(dst []byte, p *cases.Person) []byte {
	dst = append(dst, `{"pnr":`...)
	dst = appendJSONString(dst, string(p.PNR))
	dst = append(dst, `,"name":`...)
	dst = appendJSONString(dst, p.Name)
	return append(dst, '}')
}

func appendUint(dst []byte, v uint64) []byte {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, buf[i:]...)
}

// appendJSONTime appends t as time.Time.MarshalJSON does; ok becomes false
// where MarshalJSON fails (a year outside 0–9999, a zone offset of a day or
// more), by the same checks on the same text.
func appendJSONTime(dst []byte, t time.Time, ok bool) ([]byte, bool) {
	if b, done := appendRFC3339Nano(dst, t); done {
		return b, ok
	}
	if timeFormatted != nil {
		timeFormatted()
	}
	dst = append(dst, '"')
	n0 := len(dst)
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	switch {
	case dst[n0+len("9999")] != '-':
		ok = false
	case dst[len(dst)-1] != 'Z':
		c := dst[len(dst)-len("Z07:00")]
		h := dst[len(dst)-len("07:00"):]
		if '0' <= c && c <= '9' || 10*(h[0]-'0')+(h[1]-'0') >= 24 {
			ok = false
		}
	}
	return append(dst, '"'), ok
}

// appendJSONString appends s quoted as encoding/json quotes a string: HTML
// characters, U+2028 and U+2029 escaped, invalid UTF-8 replaced by U+FFFD
// (the loop of the whole sync path, sync/wire/jsontext).
func appendJSONString(dst []byte, s string) []byte {
	if quotedHook != nil {
		quotedHook(len(s))
	}
	return jsontext.AppendQuoted(dst, s, true)
}

// timeFormatted, when set (tests), is told of each time formatted by
// time.Time.AppendFormat (appendRFC3339Nano did not).
var timeFormatted func()

// quotedHook, when set (tests, before any store is used), is told the
// length of each string appendJSONString quotes.
var quotedHook func(n int)
