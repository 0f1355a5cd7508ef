package central

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// Forms returns the forms a unit offers its patients: the set it
// published, or casetype.DefaultForms if it has published none.
func (s *Store) Forms(ctx context.Context, unit string) (wire.FormSet, error) {
	if !s.unitSet[unit] {
		return wire.FormSet{}, ErrUnknownUnit
	}
	if err := ctx.Err(); err != nil {
		return wire.FormSet{}, err
	}
	var set wire.FormSet
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		set, err = formsOf(unitBucket(tx, unit))
		return err
	})
	return set, err
}

// formsOf returns a unit's published forms, or the defaults.
func formsOf(ub *bolt.Bucket) (wire.FormSet, error) {
	v := ub.Get([]byte(keyForms))
	if v == nil {
		return casetype.DefaultForms(), nil
	}
	var set wire.FormSet
	if err := json.Unmarshal(v, &set); err != nil {
		return wire.FormSet{}, fmt.Errorf("read published forms: %w", err)
	}
	return set, nil
}

// findForm returns the form with the given id.
func findForm(set wire.FormSet, id string) (wire.Form, bool) {
	i := slices.IndexFunc(set.Forms, func(f wire.Form) bool { return f.ID == id })
	if i < 0 {
		return wire.Form{}, false
	}
	return set.Forms[i], true
}

// Shown reports whether a form field is shown given the answers so far:
// always without a ShowIf, else when the named field has the given value.
// A checkbox left out counts as "false".
func Shown(ff wire.FormField, form wire.Form, values map[string]string) bool {
	c := ff.ShowIf
	if c == nil {
		return true
	}
	v := values[c.Field]
	if v == "" {
		if i := slices.IndexFunc(form.Fields, func(f wire.FormField) bool { return f.Name == c.Field }); i >= 0 && form.Fields[i].Kind == wire.FieldCheckbox {
			v = "false"
		}
	}
	return v == c.Equals
}

// answersFor checks the patient's answers against the form and returns
// them in form order, labelled with the form's Swedish labels. Answers to
// fields that are not shown are dropped; a checkbox is always answered
// ("true" or "false"); empty optional answers are left out. Errors are
// *InputError.
func answersFor(form wire.Form, given []wire.Field) ([]wire.Field, error) {
	values := make(map[string]string, len(given))
	for _, g := range given {
		i := slices.IndexFunc(form.Fields, func(f wire.FormField) bool { return f.Name == g.Name })
		if i < 0 {
			return nil, inputError("fields", "names a field the form does not have",
				swedish("central.in.formChanged"))
		}
		if _, dup := values[g.Name]; dup {
			return nil, inputError("fields."+form.Fields[i].Name, "answered twice", swedish("central.in.answeredTwice"))
		}
		values[g.Name] = g.Value
	}
	var out []wire.Field
	for _, ff := range form.Fields {
		if !Shown(ff, form, values) {
			continue
		}
		v := values[ff.Name]
		label := ff.Label.SV
		field := "fields." + ff.Name
		if ff.Kind == wire.FieldCheckbox {
			switch v {
			case "", "false":
				v = "false"
			case "true":
			default:
				return nil, inputError(field, "a checkbox is true or false", swedish("central.in.badChoice", quote(label)))
			}
			out = append(out, wire.Field{Name: ff.Name, Label: label, Value: v})
			continue
		}
		if ff.Kind != wire.FieldTextarea {
			v = strings.TrimSpace(v)
		}
		if strings.TrimSpace(v) == "" {
			if ff.Required {
				return nil, inputError(field, "required", swedish("central.in.required", quote(label)))
			}
			continue
		}
		if r := wire.CheckText(v, wire.MaxFieldValueLen, ff.Kind == wire.FieldTextarea); r != "" {
			return nil, inputError(field, r, swedish("central.in.longAnswer", quote(label), strconv.Itoa(wire.MaxFieldValueLen)))
		}
		switch ff.Kind {
		case wire.FieldSelect, wire.FieldRadio:
			if !slices.ContainsFunc(ff.Options, func(o wire.Option) bool { return o.Value == v }) {
				return nil, inputError(field, "not one of the options", swedish("central.in.notAnOption", quote(label)))
			}
		case wire.FieldDate:
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				return nil, inputError(field, "not a date YYYY-MM-DD", swedish("central.in.notADate", quote(label)))
			}
		}
		out = append(out, wire.Field{Name: ff.Name, Label: label, Value: v})
	}
	if len(out) > wire.MaxFields {
		return nil, inputError("fields", "too many answers", swedish("central.in.tooManyFields"))
	}
	return out, nil
}

func quote(s string) string { return "”" + s + "”" }
