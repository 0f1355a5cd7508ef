package cases

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// textSlots are the texts of a new case, each set by one function, for
// the tests of TextsChecked.
var textSlots = []struct {
	name string
	set  func(nc *wire.NewCase, s string)
}{
	{"patient.name", func(nc *wire.NewCase, s string) { nc.Patient.Name = s }},
	{"fields[0].label", func(nc *wire.NewCase, s string) { nc.Fields[0].Label = s }},
	{"fields[0].value", func(nc *wire.NewCase, s string) { nc.Fields[0].Value = s }},
	{"text", func(nc *wire.NewCase, s string) { nc.Text = s }},
}

// newCaseWith is a valid new case (as the central store sends it) with
// slot set to s.
func newCaseWith(slot int, s string) wire.NewCase {
	birth := time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC)
	nc := wire.NewCase{
		Type:    string(casetype.SymptomRegistration),
		Patient: wire.Person{PNR: string(personnummer.Synthetic(birth, 982)), Name: "Åsa Öberg"},
		Fields:  []wire.Field{{Name: "symptoms", Label: "Symtom", Value: "Ont i halsen\nsedan i tisdags"}},
		Text:    "Hej! Febern gick upp till 38,7 grader i natt.",
	}
	textSlots[slot].set(&nc, s)
	return nc
}

// submissionOf is what sync/uplink makes of nc (inboundOf).
func submissionOf(nc wire.NewCase, checked bool) Submission {
	sub := Submission{
		Type: casetype.Type(nc.Type), Patient: Person{PNR: personnummer.Personnummer(nc.Patient.PNR), Name: nc.Patient.Name},
		Text: nc.Text, SubmittedAt: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), TextsChecked: checked,
	}
	for _, f := range nc.Fields {
		sub.Fields = append(sub.Fields, Field{Name: f.Name, Label: f.Label, Value: f.Value})
	}
	return sub
}

// inboundVerdict is checkSubmission's answer on an inbound case: what it
// flagged and why it refused, if it did.
func inboundVerdict(sub Submission) (relaxed []string, refused string) {
	relaxed, err := checkSubmission(&sub, sub.SubmittedAt, true, sub.TextsChecked)
	if err != nil {
		refused = err.Error()
	}
	return relaxed, refused
}

// textSamples are texts at the edges of the text rule and the limits.
var textSamples = []string{
	"", " ", "Björn Nyström", "rad ett\nrad två\r\n\tindrag", "a\x00b", "a\x7fb", "a\u0085b", "a\u00a0b",
	"a\u2028b", "a\u2029b", "a\xffb", "\xc3", "\xed\xa0\x80", "😷 ont", strings.Repeat("å", 199),
	strings.Repeat("å", 200), strings.Repeat("å", 201), strings.Repeat("ö", 2000), strings.Repeat("ö", 2001),
	strings.Repeat("ä", 4001), strings.Repeat("x", 10000), strings.Repeat("x", 10001),
}

// The text rule is checked once on the sync path: a case the protocol's
// decoder took (TextsChecked) gets exactly the verdict it got when
// checkSubmission checked its texts again, for every text at the rule's
// edges in every place; and the second check is really gone: text that
// never passed the decoder (a control character) is not looked at again.
func TestInboundTextsCheckedOnce(t *testing.T) {
	took := 0
	for slot := range textSlots {
		for _, s := range textSamples {
			nc := newCaseWith(slot, s)
			if nc.Validate() != nil {
				continue // the decoder refuses the page: it never reaches the case service
			}
			took++
			r1, e1 := inboundVerdict(submissionOf(nc, true))
			r2, e2 := inboundVerdict(submissionOf(nc, false))
			if !reflect.DeepEqual(r1, r2) || e1 != e2 {
				t.Errorf("%s = %q: checked once %v %q, checked again %v %q", textSlots[slot].name, s, r1, e1, r2, e2)
			}
		}
	}
	if took < 20 {
		t.Fatalf("only %d of the samples pass the decoder: the test checks little", took)
	}
	bad := submissionOf(newCaseWith(3, "a\x01b"), false)
	if _, refused := inboundVerdict(bad); refused == "" {
		t.Fatal("a text with a control character is not refused when checked")
	}
	bad.TextsChecked = true
	if _, refused := inboundVerdict(bad); refused != "" {
		t.Fatalf("a case marked TextsChecked has its texts checked again: %s", refused)
	}
}

// FuzzInboundTextsCheckedOnce: for any text in any place that the
// protocol's decoder takes, the case service's verdict with the texts
// checked once is the verdict with them checked again.
func FuzzInboundTextsCheckedOnce(f *testing.F) {
	for _, s := range textSamples {
		f.Add(uint8(3), s)
	}
	f.Fuzz(func(t *testing.T, slot uint8, s string) {
		nc := newCaseWith(int(slot)%len(textSlots), s)
		if nc.Validate() != nil {
			return
		}
		r1, e1 := inboundVerdict(submissionOf(nc, true))
		r2, e2 := inboundVerdict(submissionOf(nc, false))
		if !reflect.DeepEqual(r1, r2) || e1 != e2 {
			t.Fatalf("%q: checked once %v %q, checked again %v %q", s, r1, e1, r2, e2)
		}
	})
}
