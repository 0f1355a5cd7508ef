package wire

import (
	"strconv"
	"time"
)

// The inbox page is the one body that carries many events, so the gateway
// decodes it on a fast path first: one pass over the bytes that fills an
// InboxPage directly, instead of encoding/json's validity scan and decode
// plus the walk. The fast path takes only what it can decide alone — the
// plain JSON that Marshal writes (any member order and white space, no \u
// escapes, no exponents) — and what it takes is exactly what the general
// path would decode to the same value. Anything else, valid or not, goes
// the general path, which decides and explains as for every other body; so
// the fast path changes the speed of decoding, never its outcome (the
// differential tests and FuzzInboxPageFastPath hold it to that).

// fastPage is the fast path's state: the body as a string (converted once,
// so that decoded strings share its memory), and the position.
type fastPage struct {
	s string
	i int
}

// fastInboxPage decodes b, which is valid UTF-8 (checkEncoding passed), on
// the fast path. It reports false if the fast path cannot decide b.
func fastInboxPage(b []byte) (InboxPage, bool) {
	d := fastPage{s: string(b)}
	var p InboxPage
	if !d.inboxPage(&p) {
		return InboxPage{}, false
	}
	if d.ws(); d.i != len(d.s) {
		return InboxPage{}, false
	}
	return p, true
}

// ws skips white space.
func (d *fastPage) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\r', '\n':
			d.i++
		default:
			return
		}
	}
}

// next skips white space and reports whether the next byte is c; if it is,
// it is consumed.
func (d *fastPage) next(c byte) bool {
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

// peek skips white space and returns the next byte (0 at the end).
func (d *fastPage) peek() byte {
	d.ws()
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

// object reads an object, calling member with each member's name at its
// value; member reports false to give up. Names with escapes give up.
func (d *fastPage) object(member func(name string) bool) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return true
	}
	for {
		if d.peek() != '"' {
			return false
		}
		name, ok := d.plainString()
		if !ok || !d.next(':') {
			return false
		}
		if !member(name) {
			return false
		}
		if d.next(',') {
			continue
		}
		return d.next('}')
	}
}

// array reads an array, calling elem at each element.
func (d *fastPage) array(elem func() bool) bool {
	if !d.next('[') {
		return false
	}
	if d.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.next(',') {
			continue
		}
		return d.next(']')
	}
}

// plainString reads a string without escapes or control characters (after
// white space) and returns its content.
func (d *fastPage) plainString() (string, bool) {
	if !d.next('"') {
		return "", false
	}
	start := d.i
	for ; d.i < len(d.s); d.i++ {
		switch c := d.s[d.i]; {
		case c == '"':
			v := d.s[start:d.i]
			d.i++
			return v, true
		case c == '\\', c < 0x20:
			return "", false
		}
	}
	return "", false
}

// text reads a string that may have the short escapes Marshal writes (\"
// \\ \/ \b \f \n \r \t); a \u escape gives up.
func (d *fastPage) text() (string, bool) {
	if !d.next('"') {
		return "", false
	}
	start := d.i
	for ; d.i < len(d.s); d.i++ {
		switch c := d.s[d.i]; {
		case c == '"':
			v := d.s[start:d.i]
			d.i++
			return v, true
		case c < 0x20:
			return "", false
		case c == '\\':
			return d.escaped(start)
		}
	}
	return "", false
}

// escaped continues text from an escape at d.i; the string began at start.
func (d *fastPage) escaped(start int) (string, bool) {
	buf := make([]byte, 0, d.i-start+64)
	buf = append(buf, d.s[start:d.i]...)
	for ; d.i < len(d.s); d.i++ {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return string(buf), true
		case c < 0x20:
			return "", false
		case c != '\\':
			buf = append(buf, c)
			continue
		}
		d.i++
		if d.i == len(d.s) {
			return "", false
		}
		switch d.s[d.i] {
		case '"':
			buf = append(buf, '"')
		case '\\':
			buf = append(buf, '\\')
		case '/':
			buf = append(buf, '/')
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		default: // \u and anything invalid
			return "", false
		}
	}
	return "", false
}

// uint reads a whole number in plain digits (no sign, no leading zero,
// fraction or exponent) within uint64.
func (d *fastPage) uint() (uint64, bool) {
	d.ws()
	start := d.i
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
	}
	lit := d.s[start:d.i]
	if lit == "" || (lit[0] == '0' && len(lit) > 1) || d.i < len(d.s) && (d.s[d.i] == '.' || d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		return 0, false
	}
	n, err := strconv.ParseUint(lit, 10, 64)
	return n, err == nil
}

// bool reads true or false.
func (d *fastPage) bool() (bool, bool) {
	d.ws()
	switch {
	case len(d.s)-d.i >= 4 && d.s[d.i:d.i+4] == "true":
		d.i += 4
		return true, true
	case len(d.s)-d.i >= 5 && d.s[d.i:d.i+5] == "false":
		d.i += 5
		return false, true
	}
	return false, false
}

// null reads null if it is next and reports whether it was.
func (d *fastPage) null() bool {
	d.ws()
	if len(d.s)-d.i >= 4 && d.s[d.i:d.i+4] == "null" {
		d.i += 4
		return true
	}
	return false
}

// time reads a timestamp: a plain string that both encoding/json (through
// time.Time's UnmarshalJSON) and the walk's RFC 3339 check take.
func (d *fastPage) time() (time.Time, bool) {
	d.ws()
	start := d.i
	v, ok := d.plainString()
	if !ok {
		return time.Time{}, false
	}
	var t time.Time
	if err := t.UnmarshalJSON([]byte(d.s[start:d.i])); err != nil {
		return time.Time{}, false
	}
	if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
		return time.Time{}, false
	}
	return t, true
}

// members tracks which members of an object were given: each once, and
// every required one.
type members uint32

// take marks member bit; false if it was given before.
func (m *members) take(bit members) bool {
	if *m&bit != 0 {
		return false
	}
	*m |= bit
	return true
}

func (d *fastPage) inboxPage(p *InboxPage) bool {
	const events, cursor, more = 1, 2, 4
	var seen members
	ok := d.object(func(name string) bool {
		switch name {
		case "events":
			if !seen.take(events) {
				return false
			}
			p.Events = make([]Event, 0, 64)
			return d.array(func() bool {
				p.Events = append(p.Events, Event{})
				return d.event(&p.Events[len(p.Events)-1])
			})
		case "cursor":
			var ok bool
			p.Cursor, ok = d.uint()
			return seen.take(cursor) && ok
		case "more":
			var ok bool
			p.More, ok = d.bool()
			return seen.take(more) && ok
		}
		return false
	})
	return ok && seen == events|cursor|more
}

func (d *fastPage) event(e *Event) bool {
	const seq, id, kind, caseID, at, cs, msg = 1, 2, 4, 8, 16, 32, 64
	var seen members
	ok := d.object(func(name string) bool {
		var ok bool
		switch name {
		case "seq":
			e.Seq, ok = d.uint()
			return seen.take(seq) && ok
		case "id":
			e.ID, ok = d.text()
			return seen.take(id) && ok
		case "kind":
			var k string
			k, ok = d.text()
			e.Kind = EventKind(k)
			return seen.take(kind) && ok
		case "caseId":
			e.CaseID, ok = d.text()
			return seen.take(caseID) && ok
		case "at":
			e.At, ok = d.time()
			return seen.take(at) && ok
		case "case":
			if !seen.take(cs) {
				return false
			}
			if d.null() {
				e.Case = nil
				return true
			}
			e.Case = new(NewCase)
			return d.newCase(e.Case)
		case "message":
			if !seen.take(msg) {
				return false
			}
			if d.null() {
				e.Message = nil
				return true
			}
			e.Message = new(PatientMessage)
			return d.patientMessage(e.Message)
		}
		return false
	})
	const required = seq | id | kind | caseID | at
	return ok && seen&required == required
}

func (d *fastPage) newCase(c *NewCase) bool {
	const typ, patient, guardian, fields, text = 1, 2, 4, 8, 16
	var seen members
	ok := d.object(func(name string) bool {
		var ok bool
		switch name {
		case "type":
			c.Type, ok = d.text()
			return seen.take(typ) && ok
		case "patient":
			return seen.take(patient) && d.person(&c.Patient)
		case "guardian":
			if !seen.take(guardian) {
				return false
			}
			if d.null() {
				c.Guardian = nil
				return true
			}
			c.Guardian = new(Person)
			return d.person(c.Guardian)
		case "fields":
			if !seen.take(fields) {
				return false
			}
			c.Fields = make([]Field, 0, 4)
			return d.array(func() bool {
				c.Fields = append(c.Fields, Field{})
				return d.field(&c.Fields[len(c.Fields)-1])
			})
		case "text":
			c.Text, ok = d.text()
			return seen.take(text) && ok
		}
		return false
	})
	const required = typ | patient
	return ok && seen&required == required
}

func (d *fastPage) person(p *Person) bool {
	const pnr, name = 1, 2
	var seen members
	ok := d.object(func(member string) bool {
		var ok bool
		switch member {
		case "pnr":
			p.PNR, ok = d.text()
			return seen.take(pnr) && ok
		case "name":
			p.Name, ok = d.text()
			return seen.take(name) && ok
		}
		return false
	})
	return ok && seen == pnr|name
}

func (d *fastPage) field(f *Field) bool {
	const name, label, value = 1, 2, 4
	var seen members
	ok := d.object(func(member string) bool {
		var ok bool
		switch member {
		case "name":
			f.Name, ok = d.text()
			return seen.take(name) && ok
		case "label":
			f.Label, ok = d.text()
			return seen.take(label) && ok
		case "value":
			f.Value, ok = d.text()
			return seen.take(value) && ok
		}
		return false
	})
	return ok && seen == name|label|value
}

func (d *fastPage) patientMessage(m *PatientMessage) bool {
	const id, text = 1, 2
	var seen members
	ok := d.object(func(member string) bool {
		var ok bool
		switch member {
		case "id":
			m.ID, ok = d.text()
			return seen.take(id) && ok
		case "text":
			m.Text, ok = d.text()
			return seen.take(text) && ok
		}
		return false
	})
	return ok && seen == id|text
}
