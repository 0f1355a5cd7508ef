package wire

import (
	"strings"
	"testing"
	"time"
)

// Every member of an event is in its link, the instant and not the
// offset of its time, and the previous link.
func TestNextLinkCoversEveryMember(t *testing.T) {
	base := Genesis(goldenIncarnation)
	ev := canonicalInboxPage().Events[1] // a case with a guardian
	want := NextLink(base, ev)
	for name, change := range map[string]func(*Event){
		"seq":           func(e *Event) { e.Seq++ },
		"id":            func(e *Event) { e.ID += "x" },
		"kind":          func(e *Event) { e.Kind = EventCaseWithdrawn },
		"caseId":        func(e *Event) { e.CaseID = caseID3 },
		"at":            func(e *Event) { e.At = e.At.Add(time.Nanosecond) },
		"case.type":     func(e *Event) { e.Case.Type = "other" },
		"patient.pnr":   func(e *Event) { e.Case.Patient.PNR = pnrAdult2 },
		"patient.name":  func(e *Event) { e.Case.Patient.Name += "x" },
		"guardian":      func(e *Event) { e.Case.Guardian = nil },
		"guardian.name": func(e *Event) { e.Case.Guardian.Name += "x" },
		"fields":        func(e *Event) { e.Case.Fields = []Field{{Name: "a", Label: "b", Value: "c"}} },
		"text":          func(e *Event) { e.Case.Text += "x" },
		"message":       func(e *Event) { e.Message = &PatientMessage{ID: "m", Text: "t"} },
		"case and split": func(e *Event) {
			e.Case.Patient.Name, e.Case.Text = e.Case.Patient.Name+e.Case.Text[:1], e.Case.Text[1:]
		},
	} {
		e := ev
		c := *ev.Case
		if ev.Case.Guardian != nil {
			g := *ev.Case.Guardian
			c.Guardian = &g
		}
		e.Case = &c
		change(&e)
		if NextLink(base, e) == want {
			t.Errorf("changing %s leaves the link as it was", name)
		}
	}
	if NextLink(Genesis("00"+goldenIncarnation[2:]), ev) == want {
		t.Error("another previous link gives the same link")
	}
	e := ev
	e.At = ev.At.In(time.FixedZone("CET", 3600))
	if NextLink(base, e) != want {
		t.Error("the same instant with another offset gives another link")
	}
}

// The chained page's rules, and Verify.
func TestChainedPageRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*ChainedPage)
		want   string // "" valid
	}{
		{"canonical", func(*ChainedPage) {}, ""},
		{"behind", func(p *ChainedPage) {
			p.Events, p.More, p.Chain.Base, p.Chain.End, p.Chain.Head = nil, false, "", "", p.Cursor-1
		}, ""},
		{"incarnation short", func(p *ChainedPage) { p.Chain.Incarnation = "abc" }, "chain.incarnation"},
		{"incarnation upper case", func(p *ChainedPage) { p.Chain.Incarnation = strings.ToUpper(p.Chain.Incarnation) }, "chain.incarnation"},
		{"base without end", func(p *ChainedPage) { p.Chain.End = "" }, "chain.end"},
		{"bad base", func(p *ChainedPage) { p.Chain.Base = "zz" + p.Chain.Base[2:] }, "chain.base"},
		{"events without base", func(p *ChainedPage) { p.Chain.Base, p.Chain.End = "", "" }, "events"},
		{"head before cursor", func(p *ChainedPage) { p.Chain.Head = p.Cursor - 1 }, "chain.head"},
		{"behind with head at cursor", func(p *ChainedPage) {
			p.Events, p.More, p.Chain.Base, p.Chain.End, p.Chain.Head = nil, false, "", "", p.Cursor
		}, "chain.head"},
	} {
		p := canonicalChainedPage()
		tc.change(&p)
		err := p.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want a problem at %s", tc.name, err, tc.want)
		}
	}
	p := canonicalChainedPage()
	if err := p.Verify(); err != nil {
		t.Fatal(err)
	}
	p.Events[2].Message.Text += "!"
	if err := p.Verify(); err == nil {
		t.Error("a page whose event changed verifies")
	}
}
