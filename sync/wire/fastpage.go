package wire

import (
	"bytes"
	"strconv"
	"time"

	"clinicgw/sync/wire/jsontext"
)

// The gateway decodes every page of a backlog, so a chained page has a
// decoder of its own for the ordinary case: one pass over the body that
// fills the page directly, instead of encoding/json's syntax pass, its
// reflective decode and the walk. It takes only what the strict decoder
// (decodeBytes) takes and means the same by it: anything else — a
// syntax error, an unknown, repeated or missing member, a null or a
// value of another type where it does not belong, a number with a
// fraction, exponent or sign, or out of range, a member name or
// timestamp written with escapes, a timestamp either check refuses —
// makes it give up (ok false), and the strict decoder decides and
// explains. FuzzDecodeChainedPageEvents holds the two to the same page
// on any body, and TestFastPageMembers the member tables below to the
// types' own.

// fastMembers are the JSON members of a type the fast decoder knows, in
// declaration order, and which of them are required (a bit per member).
type fastMembers struct {
	names    []string
	required uint64
}

var (
	fastPageMembers    = fastMembers{[]string{"events", "cursor", "more", "chain"}, 0b1111}
	fastEventMembers   = fastMembers{[]string{"seq", "id", "kind", "caseId", "at", "case", "message", "sealed", "route"}, 0b0011111}
	fastCaseMembers    = fastMembers{[]string{"type", "patient", "guardian", "fields", "text", "formVersion"}, 0b000011}
	fastPersonMembers  = fastMembers{[]string{"pnr", "name"}, 0b11}
	fastFieldMembers   = fastMembers{[]string{"name", "label", "value"}, 0b111}
	fastMessageMembers = fastMembers{[]string{"id", "text"}, 0b11}
	fastChainMembers   = fastMembers{[]string{"incarnation", "head", "base", "end"}, 0b0011}
)

// fastDec is the state of a fast decode: the body and the position, and
// the answers of the case being read (then copied to a slice of their
// number).
type fastDec struct {
	b      []byte
	i      int
	fields []Field
	// ruleTexts: the multi-line texts (a case's text, an answer's
	// value, a message's text) are held to the text rule as they are
	// unquoted (text), and one that breaks it makes the decoder give up.
	ruleTexts bool
}

// decodeChainedPageFast decodes b as a ChainedPage with where each event
// begins and ends; ok false: the strict decoder must decide. It takes
// only a body checkEncoding takes (its strings are read by
// jsontext.Unquote and plainString, nothing else takes a byte beyond
// ASCII; FuzzFastNeedsNoEncodingCheck). The page is not validated, but
// its multi-line texts are held to the text rule (text): a page whose
// texts break it is left to the strict decoder.
func decodeChainedPageFast(b []byte) (page ChainedPage, spans [][2]int, ok bool) {
	d := fastDec{b: b, ruleTexts: true}
	ok = d.object(&fastPageMembers, func(k int) bool {
		switch k {
		case 0:
			return d.events(&page.Events, &spans)
		case 1:
			return d.uint(&page.Cursor)
		case 2:
			return d.boolean(&page.More)
		default:
			return d.chain(&page.Chain)
		}
	})
	if !ok || d.ws() != 0 { // something after the value
		return ChainedPage{}, nil, false
	}
	return page, spans, true
}

// ws skips white space and returns the next byte, 0 at the end.
func (d *fastDec) ws() byte {
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; c {
		case ' ', '\t', '\r', '\n':
		default:
			return c
		}
	}
	return 0
}

// object reads an object of the members in m, calling member with each
// member's index at its value; false on anything the strict decoder must
// judge.
func (d *fastDec) object(m *fastMembers, member func(k int) bool) bool {
	if d.ws() != '{' {
		return false
	}
	d.i++
	var seen uint64
	if d.ws() == '}' {
		d.i++
		return seen&m.required == m.required
	}
	for {
		if d.ws() != '"' {
			return false
		}
		name, ok := d.plainString()
		if !ok {
			return false
		}
		k := -1
		for j, n := range m.names {
			if n == string(name) {
				k = j
				break
			}
		}
		if k < 0 || seen&(1<<k) != 0 {
			return false
		}
		seen |= 1 << k
		if d.ws() != ':' {
			return false
		}
		d.i++
		if !member(k) {
			return false
		}
		switch d.ws() {
		case ',':
			d.i++
		case '}':
			d.i++
			return seen&m.required == m.required
		default:
			return false
		}
	}
}

// array reads an array, calling elem at each element; false on anything
// the strict decoder must judge.
func (d *fastDec) array(elem func() bool) bool {
	if d.ws() != '[' {
		return false
	}
	d.i++
	if d.ws() == ']' {
		d.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		switch d.ws() {
		case ',':
			d.i++
		case ']':
			d.i++
			return true
		default:
			return false
		}
	}
}

// plainString reads a string without escapes or control bytes at d.i
// (its quote) and returns its bytes; false if it is not one, or has a
// character beyond ASCII that jsontext.Plain stops at (a member name or
// timestamp never has one: the strict decoder judges them).
func (d *fastDec) plainString() ([]byte, bool) {
	start := d.i + 1
	j := jsontext.Plain(d.b, start)
	if j == len(d.b) || d.b[j] != '"' {
		return nil, false
	}
	d.i = j + 1
	return d.b[start:j], true
}

// str reads a string into *s: only valid UTF-8 and no \u escape of an
// unpaired surrogate (jsontext.Unquote), so that a body the fast decoder
// takes is one checkEncoding takes.
func (d *fastDec) str(s *string) bool {
	if d.ws() != '"' {
		return false
	}
	v, next, ok := jsontext.Unquote(d.b, d.i)
	if ok {
		*s, d.i = v, next
	}
	return ok
}

// text reads a multi-line text of at most max characters as str does,
// and with ruleTexts holds it to the text rule in the same pass
// (jsontext.UnquoteText): false if it breaks the rule, the strict
// decoder and the validation to decide and explain.
func (d *fastDec) text(s *string, max int) bool {
	if !d.ruleTexts {
		return d.str(s)
	}
	if d.ws() != '"' {
		return false
	}
	v, next, chars, clean, ok := jsontext.UnquoteText(d.b, d.i)
	if !ok || !clean || chars > max {
		return false
	}
	*s, d.i = v, next
	return true
}

// uint reads a whole number without sign, fraction or exponent that fits
// in 64 bits.
func (d *fastDec) uint(n *uint64) bool {
	d.ws()
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	lit := d.b[start:d.i]
	if len(lit) == 0 || len(lit) > 1 && lit[0] == '0' {
		return false
	}
	if d.i < len(d.b) {
		switch d.b[d.i] {
		case '.', 'e', 'E', '-', '+':
			return false
		}
	}
	v, err := strconv.ParseUint(string(lit), 10, 64)
	*n = v
	return err == nil
}

// boolean reads true or false.
func (d *fastDec) boolean(v *bool) bool {
	d.ws()
	switch {
	case d.literal("true"):
		*v = true
	case d.literal("false"):
		*v = false
	default:
		return false
	}
	return true
}

// literal reads lit (true, false, null), if it is next and ends there.
func (d *fastDec) literal(lit string) bool {
	end := d.i + len(lit)
	if end > len(d.b) || string(d.b[d.i:end]) != lit {
		return false
	}
	if end < len(d.b) {
		if c := d.b[end]; c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			return false
		}
	}
	d.i = end
	return true
}

// null reads null if it is next.
func (d *fastDec) null() bool {
	d.ws()
	return d.literal("null")
}

// timestamp reads an RFC 3339 timestamp as encoding/json's time.Time
// does, which the walk's check must take too.
func (d *fastDec) timestamp(t *time.Time) bool {
	if d.ws() != '"' {
		return false
	}
	start := d.i
	s, ok := d.plainString()
	if !ok {
		return false
	}
	if _, err := time.Parse(time.RFC3339Nano, string(s)); err != nil {
		return false
	}
	return t.UnmarshalJSON(d.b[start:d.i]) == nil
}

// events reads the page's events, recording where each begins and ends.
// Their slices are made once, for as many events as the body has "seq"
// members (a string's quotes are escaped, so none is counted in a text;
// a member written otherwise only makes the slices grow), and at most
// for the MaxInboxLimit a page may hold: a body of nothing but "seq"
// members makes no more.
func (d *fastDec) events(evs *[]Event, spans *[][2]int) bool {
	n := min(bytes.Count(d.b[d.i:], []byte(`"seq":`)), MaxInboxLimit)
	out := make([]Event, 0, n)
	*spans = make([][2]int, 0, n)
	ok := d.array(func() bool {
		d.ws()
		start := d.i
		var ev Event
		if !d.event(&ev) {
			return false
		}
		out = append(out, ev)
		*spans = append(*spans, [2]int{start, d.i})
		return true
	})
	*evs = out
	return ok
}

func (d *fastDec) event(ev *Event) bool {
	return d.object(&fastEventMembers, func(k int) bool {
		switch k {
		case 0:
			return d.uint(&ev.Seq)
		case 1:
			return d.str(&ev.ID)
		case 2:
			return d.kind(&ev.Kind)
		case 3:
			return d.str(&ev.CaseID)
		case 4:
			return d.timestamp(&ev.At)
		case 5:
			if d.null() {
				ev.Case = nil
				return true
			}
			ev.Case = new(NewCase)
			return d.newCase(ev.Case)
		case 7:
			return d.str(&ev.Sealed)
		case 8:
			if d.null() {
				ev.Route = nil
				return true
			}
			ev.Route = new(SealedRoute)
			return d.object(&fastRouteMembers, func(k int) bool {
				return d.str(ev.Route.member(k))
			})
		default:
			if d.null() {
				ev.Message = nil
				return true
			}
			ev.Message = new(PatientMessage)
			return d.object(&fastMessageMembers, func(k int) bool {
				if k == 0 {
					return d.str(&ev.Message.ID)
				}
				return d.text(&ev.Message.Text, MaxTextLen)
			})
		}
	})
}

// kind reads an event's kind: one this version knows is not copied
// (the constant's string), another is as any string.
func (d *fastDec) kind(k *EventKind) bool {
	if d.ws() != '"' {
		return false
	}
	at := d.i
	if name, ok := d.plainString(); ok {
		switch EventKind(name) {
		case EventCaseCreated:
			*k = EventCaseCreated
			return true
		case EventCaseFollowUp:
			*k = EventCaseFollowUp
			return true
		case EventCaseWithdrawn:
			*k = EventCaseWithdrawn
			return true
		}
	}
	d.i = at
	var s string
	ok := d.str(&s)
	*k = EventKind(s)
	return ok
}

func (d *fastDec) newCase(c *NewCase) bool {
	return d.object(&fastCaseMembers, func(k int) bool {
		switch k {
		case 0:
			return d.str(&c.Type)
		case 1:
			return d.person(&c.Patient)
		case 2:
			if d.null() {
				c.Guardian = nil
				return true
			}
			c.Guardian = new(Person)
			return d.person(c.Guardian)
		case 3:
			d.fields = d.fields[:0]
			ok := d.array(func() bool {
				var f Field
				ok := d.object(&fastFieldMembers, func(k int) bool {
					switch k {
					case 0:
						return d.str(&f.Name)
					case 1:
						return d.str(&f.Label)
					default:
						return d.text(&f.Value, MaxFieldValueLen)
					}
				})
				d.fields = append(d.fields, f)
				return ok
			})
			c.Fields = append(make([]Field, 0, len(d.fields)), d.fields...)
			return ok
		case 4:
			return d.text(&c.Text, MaxTextLen)
		default:
			var v uint64
			if !d.uint(&v) || v > MaxFormVersion {
				return false
			}
			c.FormVersion = int(v)
			return true
		}
	})
}

func (d *fastDec) person(p *Person) bool {
	return d.object(&fastPersonMembers, func(k int) bool {
		if k == 0 {
			return d.str(&p.PNR)
		}
		return d.str(&p.Name)
	})
}

func (d *fastDec) chain(c *Chain) bool {
	return d.object(&fastChainMembers, func(k int) bool {
		switch k {
		case 0:
			return d.str(&c.Incarnation)
		case 1:
			return d.uint(&c.Head)
		case 2:
			return d.str(&c.Base)
		default:
			return d.str(&c.End)
		}
	})
}
