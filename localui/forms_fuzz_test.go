package localui

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// FuzzDecodeImport: the import decoder never panics; whatever it accepts
// is a valid form set that marshals and decodes back equal; whatever it
// refuses it refuses with an *importError with a 4xx status and a Swedish
// and an English message.
func FuzzDecodeImport(f *testing.F) {
	good, err := wire.Marshal(casetype.DefaultForms())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(`{"forms":[]}`))
	f.Add([]byte(`{"forms":[{"id":"contact-me","version":1,"title":{"sv":"Ring"},"fields":[{"name":"a","label":{"sv":"A"},"kind":"text","showIf":{"field":"b","equals":"x"}}]}]}`))
	f.Add([]byte(`{"forms":[{"id":"order-pizza","version":1,"title":{"sv":"Pizza"}}]}`))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		set, err := decodeImport(bytes.NewReader(b))
		if err != nil {
			var ie *importError
			if !errors.As(err, &ie) || ie.status < 400 || ie.status > 499 || ie.sv == "" || ie.en == "" {
				t.Fatalf("refused with %v", err)
			}
			return
		}
		out, err := wire.Marshal(set)
		if err != nil {
			t.Fatalf("accepted a set that does not marshal: %v", err)
		}
		back, err := decodeImport(bytes.NewReader(out))
		if err != nil || !reflect.DeepEqual(back, set) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// TestCheckFormAgreesWithWire: the designer's Swedish check passes exactly
// the forms sync/wire's Validate passes, on the default forms and on each
// kind of mistake it names.
func TestCheckFormAgreesWithWire(t *testing.T) {
	var forms []wire.Form
	for _, f := range casetype.DefaultForms().Forms {
		forms = append(forms, f)
		bad := []func(*wire.Form){
			func(f *wire.Form) { f.Title.SV = " " },
			func(f *wire.Form) { f.Title.EN = "line\nbreak" },
			func(f *wire.Form) { f.Intro = wire.Text{EN: "English only"} },
			func(f *wire.Form) { f.Fields[0].Name = "två ord" },
			func(f *wire.Form) { f.Fields[0].Label.SV = "" },
			func(f *wire.Form) { f.Fields[0].Kind = "essay" },
			func(f *wire.Form) { f.Fields = append(f.Fields, f.Fields[0]) },
			func(f *wire.Form) { f.Fields[0].ShowIf = &wire.Condition{Field: "nothing", Equals: "true"} },
			func(f *wire.Form) {
				f.Fields = append(f.Fields, wire.FormField{Name: "sel", Label: wire.Text{SV: "Val"}, Kind: wire.FieldSelect})
			},
			func(f *wire.Form) {
				f.Fields = append(f.Fields, wire.FormField{Name: "zz", Label: wire.Text{SV: "Z"}, Kind: wire.FieldText,
					ShowIf: &wire.Condition{Field: f.Fields[0].Name, Equals: "x"}})
			},
		}
		for _, mod := range bad {
			g := f
			g.Fields = append([]wire.FormField(nil), f.Fields...)
			mod(&g)
			forms = append(forms, g)
		}
	}
	for i, f := range forms {
		mine, theirs := checkForm(f).ok(), f.Validate() == nil
		if mine != theirs {
			t.Errorf("form %d (%s): designer ok=%v, wire ok=%v (%v)", i, f.ID, mine, theirs, f.Validate())
		}
		if errs := checkForm(f); !errs.ok() && len(errs.fields) == 0 && len(errs.form) == 0 {
			t.Errorf("form %d refused without a message", i)
		}
	}
}
