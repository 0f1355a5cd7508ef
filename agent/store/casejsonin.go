package store

import (
	"strconv"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/jsontext"
	"clinicgw/sync/wire/personnummer"
)

// A case record is decoded by reading exactly the form appendCase writes:
// its members in appendCase's order, compact, strings as jsontext.Unquote
// reads them, integers as strconv writes them, times by
// time.Time.UnmarshalJSON (which json.Unmarshal calls). Anything else — a
// member out of order or unknown, whitespace, an empty array, a string
// json.Unmarshal would repair (invalid UTF-8, a lone surrogate), a record
// of an older release with other members — is not its form, and the
// record goes to json.Unmarshal, so a case reads as json.Unmarshal reads
// it either way (the tests and FuzzDecodeCaseRecord hold it to that).

// decodeCaseRecord decodes b, a case record in appendCase's form; false
// when b is not exactly in that form.
func decodeCaseRecord(b []byte) (*cases.Case, bool) {
	d := caseDec{b: b, ok: true}
	c := new(cases.Case)
	c.ID = cases.ID(d.str(`{"id":`))
	c.Unit = d.str(`,"unit":`)
	c.Type = casetype.Type(d.str(`,"type":`))
	d.lit(`,"patient":`)
	d.person(&c.Patient)
	if d.has(`,"guardian":`) {
		c.Guardian = new(cases.Person)
		d.person(c.Guardian)
	}
	c.Fields = decodeArray(&d, `,"fields":[`, func(d *caseDec, f *cases.Field) {
		f.Name, f.Label, f.Value = d.str(`{"name":`), d.str(`,"label":`), d.str(`,"value":`)
		d.lit(`}`)
	})
	c.Status = cases.Status(d.str(`,"status":`))
	c.Assignee = d.optStr(`,"assignee":`)
	c.Group = d.optStr(`,"group":`)
	if d.has(`,"sentAt":`) {
		c.SentAt = d.time(``)
	}
	c.ReceivedAt = d.time(`,"receivedAt":`)
	c.DueAt = d.time(`,"dueAt":`)
	if d.has(`,"serviceVersion":`) {
		c.ServiceVersion = int(d.int())
	}
	if d.has(`,"answerDays":`) {
		c.AnswerDays = int(d.int())
	}
	if d.has(`,"answeredAt":`) {
		c.AnsweredAt = d.time(``)
	}
	if d.has(`,"closedAt":`) {
		c.ClosedAt = d.time(``)
	}
	c.Messages = decodeArray(&d, `,"messages":[`, func(d *caseDec, m *cases.Message) {
		m.ID, m.Kind, m.Author = d.str(`{"id":`), cases.MessageKind(d.str(`,"kind":`)), d.str(`,"author":`)
		m.Text = d.str(`,"text":`)
		m.Signature = d.optStr(`,"signature":`)
		m.AuthorTitle = d.optStr(`,"authorTitle":`)
		m.At = d.time(`,"at":`)
		d.lit(`}`)
	})
	c.History = decodeArray(&d, `,"history":[`, func(d *caseDec, e *cases.Event) {
		e.At, e.Actor, e.Action = d.time(`{"at":`), d.str(`,"actor":`), cases.Action(d.str(`,"action":`))
		e.From = cases.Status(d.optStr(`,"from":`))
		e.To = cases.Status(d.str(`,"to":`))
		e.Assignee = d.optStr(`,"assignee":`)
		e.Group = d.optStr(`,"group":`)
		d.lit(`}`)
	})
	c.Subject = d.optStr(`,"subject":`)
	c.InitiatedBy = d.optStr(`,"initiatedBy":`)
	c.NoReply = d.has(`,"noReply":true`)
	c.Relaxed = decodeArray(&d, `,"relaxed":[`, func(d *caseDec, r *string) { *r = d.str(``) })
	c.Refs = decodeArray(&d, `,"refs":[`, func(d *caseDec, r *cases.Ref) {
		r.By, r.System, r.Value = d.str(`{"by":`), d.str(`,"system":`), d.str(`,"value":`)
		r.At = d.time(`,"at":`)
		d.lit(`}`)
	})
	d.lit(`,"version":`)
	c.Version = d.uint()
	d.lit(`}`)
	if !d.ok || d.i != len(b) {
		return nil, false
	}
	return c, true
}

// decodeArray reads the array of T that open (a member's name and the
// opening bracket) starts, if b continues with it, each element by one;
// nil if not.
func decodeArray[T any](d *caseDec, open string, one func(d *caseDec, e *T)) []T {
	if !d.has(open) {
		return nil
	}
	var s []T
	for d.elem(len(s)) {
		s = append(s, *new(T))
		one(d, &s[len(s)-1])
	}
	return s
}

// caseDec reads b from i; ok turns false at the first byte out of form,
// after which every read returns zero values and reads nothing.
type caseDec struct {
	b  []byte
	i  int
	ok bool
}

// has reads s if b continues with it.
func (d *caseDec) has(s string) bool {
	if d.ok && len(d.b)-d.i >= len(s) && string(d.b[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

// lit reads s, which must follow.
func (d *caseDec) lit(s string) {
	if !d.has(s) {
		d.ok = false
	}
}

// elem reports whether an array, whose opening bracket was read and of
// which n elements were, has another, reading the comma before it; at
// the closing bracket it reads that and reports false. An empty array is
// out of form (appendCase omits it).
func (d *caseDec) elem(n int) bool {
	if !d.ok {
		return false
	}
	if n == 0 {
		if d.i < len(d.b) && d.b[d.i] == ']' {
			d.ok = false
			return false
		}
		return true
	}
	if d.has(`]`) {
		return false
	}
	d.lit(`,`)
	return d.ok
}

func (d *caseDec) person(p *cases.Person) {
	p.PNR = personnummer.Personnummer(d.str(`{"pnr":`))
	p.Name = d.str(`,"name":`)
	d.lit(`}`)
}

// optStr reads key and the string after it if b continues with key;
// "" if not.
func (d *caseDec) optStr(key string) string {
	if !d.has(key) {
		return ""
	}
	return d.str(``)
}

// str reads key, then a string as json.Unmarshal reads it; out of form
// where json.Unmarshal would repair it or fail.
func (d *caseDec) str(key string) string {
	d.lit(key)
	if !d.ok || d.i >= len(d.b) || d.b[d.i] != '"' {
		d.ok = false
		return ""
	}
	s, next, ok := jsontext.Unquote(d.b, d.i)
	if !ok {
		d.ok = false
		return ""
	}
	d.i = next
	return s
}

// time reads key, then a time by time.Time.UnmarshalJSON, as
// json.Unmarshal does, given the quoted text: no escapes, nothing but
// printable ASCII in it.
func (d *caseDec) time(key string) time.Time {
	d.lit(key)
	var t time.Time
	if !d.ok || d.i >= len(d.b) || d.b[d.i] != '"' {
		d.ok = false
		return t
	}
	j := d.i + 1
	for j < len(d.b) && d.b[j] != '"' {
		if c := d.b[j]; c < 0x20 || c >= 0x7f || c == '\\' {
			d.ok = false
			return t
		}
		j++
	}
	if j == len(d.b) || t.UnmarshalJSON(d.b[d.i:j+1]) != nil {
		d.ok = false
		return time.Time{}
	}
	d.i = j + 1
	return t
}

// digits returns the run of an optional minus and digits at i.
func (d *caseDec) digits() []byte {
	if !d.ok {
		return nil
	}
	j := d.i
	if j < len(d.b) && d.b[j] == '-' {
		j++
	}
	for j < len(d.b) && '0' <= d.b[j] && d.b[j] <= '9' {
		j++
	}
	return d.b[d.i:j]
}

// int reads an integer as strconv.AppendInt writes it.
func (d *caseDec) int() int64 {
	s := d.digits()
	v, err := strconv.ParseInt(string(s), 10, 64)
	d.number(s, err == nil && string(strconv.AppendInt(nil, v, 10)) == string(s))
	return v
}

// uint reads an unsigned integer as appendUint writes it.
func (d *caseDec) uint() uint64 {
	s := d.digits()
	v, err := strconv.ParseUint(string(s), 10, 64)
	d.number(s, err == nil && string(strconv.AppendUint(nil, v, 10)) == string(s))
	return v
}

// number passes the number s read, if it was in form; the value read is
// then of no account.
func (d *caseDec) number(s []byte, inForm bool) {
	if !inForm {
		d.ok = false
		return
	}
	d.i += len(s)
}

// caseDecodedSlow, when set (tests), is told of each case record that
// decodeCaseRecord left to json.Unmarshal.
var caseDecodedSlow func()
