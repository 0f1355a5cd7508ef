package wire

import "reflect"

// decodeChainedPage decodes and validates a chained page read whole: on
// the inbox page's fast path when it can decide (see fastInboxPage), else
// on the general path.
func decodeChainedPage(b []byte) (ChainedPage, error) {
	p, ok := ChainedPage{}, false
	if checkEncoding(b) == nil {
		p, ok = fastChainedPage(b)
	}
	if !ok {
		p = ChainedPage{}
		if err := decodeBytes(b, reflect.ValueOf(&p)); err != nil {
			return ChainedPage{}, err
		}
	}
	if err := p.Validate(); err != nil {
		return ChainedPage{}, err
	}
	return p, nil
}

// fastChainedPage decodes b on the fast path; false if it cannot decide.
func fastChainedPage(b []byte) (ChainedPage, bool) {
	d := fastPage{s: string(b)}
	var p ChainedPage
	if !d.chainedPage(&p) {
		return ChainedPage{}, false
	}
	if d.ws(); d.i != len(d.s) {
		return ChainedPage{}, false
	}
	return p, true
}

func (d *fastPage) chainedPage(p *ChainedPage) bool {
	const events, cursor, more, chain = 1, 2, 4, 8
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
		case "chain":
			return seen.take(chain) && d.chain(&p.Chain)
		}
		return false
	})
	return ok && seen == events|cursor|more|chain
}

func (d *fastPage) chain(c *Chain) bool {
	const incarnation, head, base, end = 1, 2, 4, 8
	var seen members
	ok := d.object(func(name string) bool {
		var ok bool
		switch name {
		case "incarnation":
			c.Incarnation, ok = d.plainString()
			return seen.take(incarnation) && ok
		case "head":
			c.Head, ok = d.uint()
			return seen.take(head) && ok
		case "base":
			c.Base, ok = d.plainString()
			return seen.take(base) && ok && c.Base != ""
		case "end":
			c.End, ok = d.plainString()
			return seen.take(end) && ok && c.End != ""
		}
		return false
	})
	return ok && seen&(incarnation|head) == incarnation|head
}
