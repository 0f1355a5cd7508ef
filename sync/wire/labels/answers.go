package labels

import (
	"slices"
	"time"

	"clinicgw/sync/i18n"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// Answer is one form answer as a person reads it.
type Answer struct {
	Name     string         // the form field's name
	Question string         // the field's label, in the reader's language
	Text     string         // the answer, in the reader's language
	Kind     wire.FieldKind // the field's kind in the form; "" when the form has no such field
	// Code is the value the answer carries when the field is coded (an
	// option's value, "true" or "false" for a box); "" for free text and
	// dates.
	Code string
	// Unmatched says the form (as it is now) does not explain the value:
	// the option or the field is gone, or the value is not of the field's
	// kind. Text is then the value as it was sent and Note says so.
	Unmatched bool
	Note      string // why the answer is shown as sent; "" when it is not
}

// Answers renders a case's form answers for a person reading lang ("en"
// for English, anything else for Swedish): each option's label instead of
// its value, Ja/Nej for a box, a date as YYYY-MM-DD, free text as it is.
// form is the form the case was written on, as far as it is known: the
// unit's form of the case's type now (cases keep no form version), nil
// when there is none. A question is shown in lang when the form's field
// still carries the label the patient saw, else as the patient saw it.
func Answers(form *wire.Form, fields []wire.Field, lang string) []Answer {
	out := make([]Answer, 0, len(fields))
	for _, f := range fields {
		out = append(out, answer(form, f, lang))
	}
	return out
}

func answer(form *wire.Form, f wire.Field, lang string) Answer {
	a := Answer{Name: f.Name, Question: f.Label, Text: f.Value}
	if a.Question == "" {
		a.Question = f.Name
	}
	var ff *wire.FormField
	if form != nil {
		if i := slices.IndexFunc(form.Fields, func(x wire.FormField) bool { return x.Name == f.Name }); i >= 0 {
			ff = &form.Fields[i]
		}
	}
	if ff == nil {
		// The form (now) has no such field: the value cannot be told
		// from free text, so it is shown as sent, marked.
		if f.Value != "" {
			why := "field"
			if form == nil {
				why = "form"
			}
			a.Unmatched, a.Note = true, note(why, lang)
		}
		return a
	}
	a.Kind = ff.Kind
	if f.Label == "" || f.Label == ff.Label.SV {
		a.Question = textIn(ff.Label, lang)
	}
	switch ff.Kind {
	case wire.FieldSelect, wire.FieldRadio:
		a.Code = f.Value
		if i := slices.IndexFunc(ff.Options, func(o wire.Option) bool { return o.Value == f.Value }); i >= 0 {
			a.Text = textIn(ff.Options[i].Label, lang)
		} else if f.Value != "" {
			a.Unmatched, a.Note = true, note("option", lang)
		}
	case wire.FieldCheckbox:
		a.Code = f.Value
		switch f.Value {
		case "true":
			a.Text = i18n.T(lang, "answer.yes")
		case "false", "":
			a.Code, a.Text = "false", i18n.T(lang, "answer.no")
		default:
			a.Unmatched, a.Note = true, note("kind", lang)
		}
	case wire.FieldDate:
		if _, err := time.Parse(time.DateOnly, f.Value); err != nil && f.Value != "" {
			a.Unmatched, a.Note = true, note("kind", lang)
		}
	}
	return a
}

// note says why an answer is shown as it was sent (the catalogue's
// answer.note.*: option, field, form, kind).
func note(why, lang string) string { return i18n.T(lang, "answer.note."+why) }

// textIn is t in lang, Swedish when it has no English.
func textIn(t wire.Text, lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.SV
}

// FindForm returns the form of case type typ in set, or nil.
func FindForm(set wire.FormSet, typ casetype.Type) *wire.Form {
	i := slices.IndexFunc(set.Forms, func(f wire.Form) bool { return f.ID == string(typ) })
	if i < 0 {
		return nil
	}
	return &set.Forms[i]
}
