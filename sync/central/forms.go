package central

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
)

// DefaultForms returns the built-in forms, one for every case type of
// agent/cases.Types, with Swedish titles. A unit that has not published
// forms gets these.
func DefaultForms() wire.FormSet {
	sv := func(s string) wire.Text { return wire.Text{SV: s} }
	text := func(name, label, help string, required bool) wire.FormField {
		return wire.FormField{Name: name, Label: sv(label), Help: sv(help), Kind: wire.FieldText, Required: required}
	}
	area := func(name, label, help string, required bool) wire.FormField {
		return wire.FormField{Name: name, Label: sv(label), Help: sv(help), Kind: wire.FieldTextarea, Required: required}
	}
	date := func(name, label string, required bool) wire.FormField {
		return wire.FormField{Name: name, Label: sv(label), Kind: wire.FieldDate, Required: required}
	}
	choice := func(kind wire.FieldKind, name, label string, required bool, opts ...string) wire.FormField {
		f := wire.FormField{Name: name, Label: sv(label), Kind: kind, Required: required}
		for i := 0; i+1 < len(opts); i += 2 {
			f.Options = append(f.Options, wire.Option{Value: opts[i], Label: sv(opts[i+1])})
		}
		return f
	}
	check := func(name, label string) wire.FormField {
		return wire.FormField{Name: name, Label: sv(label), Kind: wire.FieldCheckbox}
	}
	when := func(f wire.FormField, field, equals string) wire.FormField {
		f.ShowIf = &wire.Condition{Field: field, Equals: equals}
		return f
	}
	timeOfDay := []string{"morning", "Förmiddag", "afternoon", "Eftermiddag", "any", "Spelar ingen roll"}
	forms := map[cases.Type]wire.Form{
		cases.BookAppointment: {Title: sv("Boka tid"), AllowGuardian: true, Fields: []wire.FormField{
			area("reason", "Vad gäller besöket?", "Beskriv kort varför du vill komma.", true),
			choice(wire.FieldRadio, "when", "När passar det bäst?", false, timeOfDay...),
		}},
		cases.ChangeAppointment: {Title: sv("Omboka tid"), AllowGuardian: true, Fields: []wire.FormField{
			date("current", "Datum för den tid du har nu", true),
			choice(wire.FieldRadio, "when", "När passar en ny tid bäst?", false, timeOfDay...),
		}},
		cases.CancelAppointment: {Title: sv("Avboka tid"), AllowGuardian: true, Fields: []wire.FormField{
			date("current", "Datum för den tid du vill avboka", true),
		}},
		cases.RenewPrescription: {Title: sv("Förnya recept"), AllowGuardian: true, Fields: []wire.FormField{
			text("medicine", "Läkemedlets namn och styrka", "Som det står på förpackningen, till exempel Alvedon 500 mg.", true),
			choice(wire.FieldSelect, "howOften", "Hur ofta tar du läkemedlet?", false,
				"daily", "Varje dag", "sometimes", "Vid behov", "seldom", "Sällan"),
		}},
		cases.RenewSickLeave: {Title: sv("Förlänga sjukintyg"), Fields: []wire.FormField{
			date("until", "Till vilket datum behöver du intyget?", true),
			text("work", "Ditt arbete", "Vad du arbetar med.", true),
		}},
		cases.RecordExtract: {Title: sv("Beställa journalkopia"), AllowGuardian: true, Fields: []wire.FormField{
			text("period", "Vilken tidsperiod gäller det?", "Till exempel 2023–2025.", true),
			choice(wire.FieldRadio, "delivery", "Hur vill du få kopian?", true, "post", "Med post", "pickup", "Hämta på vårdcentralen"),
		}},
		cases.AdviceNurse: {Title: sv("Rådgivning – sjuksköterska"), AllowGuardian: true, Fields: []wire.FormField{
			area("question", "Vad vill du ha råd om?", "", true),
			choice(wire.FieldSelect, "since", "Hur länge har du haft besvären?", false,
				"days", "Några dagar", "weeks", "Några veckor", "longer", "Längre"),
		}},
		cases.AdvicePsychologist: {Title: sv("Rådgivning – psykolog"), AllowGuardian: true, Fields: []wire.FormField{
			area("question", "Vad vill du ha råd om?", "", true),
		}},
		cases.ChangeFamilyDoctor: {Title: sv("Byta fast läkare"), AllowGuardian: true, Fields: []wire.FormField{
			text("wish", "Önskad läkare", "Lämna tomt om du inte har något önskemål.", false),
		}},
		cases.SymptomRegistration: {Title: sv("Registrera symtom"), AllowGuardian: true, Fields: []wire.FormField{
			area("symptoms", "Vilka symtom har du?", "", true),
			date("since", "Sedan när?", false),
			check("fever", "Jag har feber"),
			when(text("temperature", "Högsta temperatur", "I grader Celsius.", true), "fever", "true"),
		}},
		cases.ContactMe: {Title: sv("Kontakta mig"), AllowGuardian: true, Fields: []wire.FormField{
			text("phone", "Telefonnummer", "Numret vi ska ringa.", true),
			choice(wire.FieldRadio, "when", "När kan vi ringa?", false, timeOfDay...),
		}},
	}
	var set wire.FormSet
	for _, t := range cases.Types {
		f, ok := forms[t]
		if !ok {
			panic("central: no default form for case type " + string(t))
		}
		f.ID, f.Version = string(t), 1
		set.Forms = append(set.Forms, f)
	}
	return set
}

// Forms returns the forms a unit offers its patients: the set it
// published, or DefaultForms if it has published none.
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
		return DefaultForms(), nil
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
				"Formuläret har ändrats. Ladda om sidan och fyll i det igen.")
		}
		if _, dup := values[g.Name]; dup {
			return nil, inputError("fields."+form.Fields[i].Name, "answered twice", "Ett fält är ifyllt två gånger.")
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
				return nil, inputError(field, "a checkbox is true or false", "Ogiltigt val i "+quote(label)+".")
			}
			out = append(out, wire.Field{Name: ff.Name, Label: label, Value: v})
			continue
		}
		if ff.Kind != wire.FieldTextarea {
			v = strings.TrimSpace(v)
		}
		if strings.TrimSpace(v) == "" {
			if ff.Required {
				return nil, inputError(field, "required", "Fyll i "+quote(label)+".")
			}
			continue
		}
		if r := cases.CheckText(v, wire.MaxFieldValueLen, ff.Kind == wire.FieldTextarea); r != "" {
			return nil, inputError(field, r, fmt.Sprintf("Svaret i %s är för långt eller innehåller otillåtna tecken (högst %d tecken).", quote(label), wire.MaxFieldValueLen))
		}
		switch ff.Kind {
		case wire.FieldSelect, wire.FieldRadio:
			if !slices.ContainsFunc(ff.Options, func(o wire.Option) bool { return o.Value == v }) {
				return nil, inputError(field, "not one of the options", "Välj ett av alternativen i "+quote(label)+".")
			}
		case wire.FieldDate:
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				return nil, inputError(field, "not a date YYYY-MM-DD", "Skriv datumet i "+quote(label)+" som ÅÅÅÅ-MM-DD.")
			}
		}
		out = append(out, wire.Field{Name: ff.Name, Label: label, Value: v})
	}
	if len(out) > wire.MaxFields {
		return nil, inputError("fields", "too many answers", "Formuläret har för många fält.")
	}
	return out, nil
}

func quote(s string) string { return "”" + s + "”" }
