package cases

import (
	"bytes"
	"encoding/json"
	"testing"

	"clinicgw/sync/wire"
)

// checkWireTexts fails t unless each encoding w gives of the event's
// values is json.Marshal's (a case record's), and each value it gives
// none of holds '<', '>' or '&' or was cut out of no event.
func checkWireTexts(t *testing.T, ev wire.Event, w *WireTexts, slim bool) {
	t.Helper()
	c := ev.Case
	fields := make([]Field, len(c.Fields))
	var values []byte
	for i, f := range c.Fields {
		fields[i] = Field(f)
		values = append(values, f.Name+f.Label+f.Value...)
	}
	for _, v := range []struct {
		what string
		got  []byte
		of   any
		html bool
	}{
		{"name", w.NameJSON(c.Patient.Name), c.Patient.Name, !htmlFree([]byte(c.Patient.Name))},
		{"text", w.TextJSON(c.Text), c.Text, !htmlFree([]byte(c.Text))},
		{"fields", w.FieldsJSON(fields), fields, !htmlFree(values)},
	} {
		want := marshalled(t, v.of)
		switch {
		case v.got != nil && !bytes.Equal(v.got, want):
			t.Fatalf("%s: gives %q; json.Marshal writes %q", v.what, v.got, want)
		case v.got == nil && slim && !v.html && (v.what != "fields" || len(fields) > 0):
			t.Errorf("%s: gives nothing of %.40q, which holds no HTML character", v.what, v.of)
		}
	}
	if w.TextJSON(c.Text+"x") != nil || w.NameJSON("x"+c.Patient.Name) != nil {
		t.Fatal("an encoding given for another value")
	}
	if len(fields) > 0 {
		other := append([]Field(nil), fields...)
		other[0].Value += "x"
		if w.FieldsJSON(other) != nil || w.FieldsJSON(fields[1:]) != nil {
			t.Fatal("the answers' encoding given for other answers")
		}
	}
}

func marshalled(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWireTextsAreCaseEncodings: the texts a slim record finds in a new
// case's event are json.Marshal's encodings of the values — realistic
// ones, with HTML characters (which the wire writes as they are and a
// case record escapes: none given), escapes, U+2028 and bytes that are
// not UTF-8 — each given only for the event's value.
func TestWireTextsAreCaseEncodings(t *testing.T) {
	realistic, _ := realisticEvent(t)
	evs := []wire.Event{realistic, slimEvent()}
	for _, s := range append(jsonStringCases, "<b>", "a & b", "5 > 3", "rad 1\nrad 2\u2028") {
		ev := slimEvent()
		ev.Case.Text, ev.Case.Patient.Name, ev.Case.Fields[0].Value = s+" text", s+" namn", s
		evs = append(evs, ev)
	}
	noFields := slimEvent()
	noFields.Case.Fields = nil
	evs = append(evs, noFields)
	for _, ev := range evs {
		raw, err := wire.EncodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, checked := range []bool{false, true} {
			valid := validUTF8(ev.Case.Text + ev.Case.Patient.Name)
			for _, f := range ev.Case.Fields {
				valid = valid && validUTF8(f.Name+f.Label+f.Value)
			}
			sj, ok := JournalEntry{Seq: ev.Seq, Event: raw, Wire: &ev, Checked: checked && valid}.slimRecord()
			checkWireTexts(t, ev, madeTexts(&sj.texts), ok)
		}
	}
}

// FuzzWireTexts: whatever the values, an encoding given is json.Marshal's
// of the value it is given for.
func FuzzWireTexts(f *testing.F) {
	f.Add("Åsa Öberg", "Ont i halsen.\n\nTack!", "Levaxin", "Läkemedel")
	f.Add("a<b", "\u2028\x00\"\\", "\xff", "&")
	f.Fuzz(func(t *testing.T, name, text, value, label string) {
		ev := slimEvent()
		ev.Case.Patient.Name, ev.Case.Text = name, text
		ev.Case.Fields = append(ev.Case.Fields, wire.Field{Name: "x", Label: label, Value: value})
		raw, err := wire.EncodeEvent(ev)
		if err != nil {
			t.Skip()
		}
		sj, ok := JournalEntry{Seq: ev.Seq, Event: raw, Wire: &ev}.slimRecord()
		checkWireTexts(t, ev, madeTexts(&sj.texts), ok)
	})
}

// madeTexts is a WireTexts of texts already made.
func madeTexts(texts *caseTexts) *WireTexts {
	ready := make(chan struct{})
	close(ready)
	return &WireTexts{ready: ready, texts: texts}
}
