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
	"clinicgw/agent/labels"
	"clinicgw/sync/wire"
)

// DefaultForms returns the built-in forms, one for every case type of
// agent/cases.Types, in Swedish and English, titled with the case type's
// name from agent/labels (what staff call the type too). A unit that has
// not published forms gets these.
func DefaultForms() wire.FormSet {
	// Each text is given as Swedish, English.
	tx := func(sv, en string) wire.Text { return wire.Text{SV: sv, EN: en} }
	text := func(name string, label, help [2]string, required bool) wire.FormField {
		return wire.FormField{Name: name, Label: tx(label[0], label[1]), Help: tx(help[0], help[1]), Kind: wire.FieldText, Required: required}
	}
	area := func(name string, label, help [2]string, required bool) wire.FormField {
		return wire.FormField{Name: name, Label: tx(label[0], label[1]), Help: tx(help[0], help[1]), Kind: wire.FieldTextarea, Required: required}
	}
	date := func(name string, label [2]string, required bool) wire.FormField {
		return wire.FormField{Name: name, Label: tx(label[0], label[1]), Kind: wire.FieldDate, Required: required}
	}
	// opts are value, Swedish label, English label, ...
	choice := func(kind wire.FieldKind, name string, label [2]string, required bool, opts ...string) wire.FormField {
		f := wire.FormField{Name: name, Label: tx(label[0], label[1]), Kind: kind, Required: required}
		for i := 0; i+2 < len(opts); i += 3 {
			f.Options = append(f.Options, wire.Option{Value: opts[i], Label: tx(opts[i+1], opts[i+2])})
		}
		return f
	}
	check := func(name string, label [2]string) wire.FormField {
		return wire.FormField{Name: name, Label: tx(label[0], label[1]), Kind: wire.FieldCheckbox}
	}
	when := func(f wire.FormField, field, equals string) wire.FormField {
		f.ShowIf = &wire.Condition{Field: field, Equals: equals}
		return f
	}
	none := [2]string{}
	timeOfDay := []string{"morning", "Förmiddag", "Morning", "afternoon", "Eftermiddag", "Afternoon", "any", "Spelar ingen roll", "Any time"}
	question := [2]string{"Vad vill du ha råd om?", "What would you like advice on?"}
	forms := map[cases.Type]wire.Form{
		cases.BookAppointment: {AllowGuardian: true, Fields: []wire.FormField{
			area("reason", [2]string{"Vad gäller besöket?", "What is the visit about?"}, [2]string{"Beskriv kort varför du vill komma.", "Say briefly why you want to come."}, true),
			choice(wire.FieldRadio, "when", [2]string{"När passar det bäst?", "When suits you best?"}, false, timeOfDay...),
		}},
		cases.ChangeAppointment: {AllowGuardian: true, Fields: []wire.FormField{
			date("current", [2]string{"Datum för den tid du har nu", "Date of the appointment you have now"}, true),
			choice(wire.FieldRadio, "when", [2]string{"När passar en ny tid bäst?", "When would a new time suit you best?"}, false, timeOfDay...),
		}},
		cases.CancelAppointment: {AllowGuardian: true, Fields: []wire.FormField{
			date("current", [2]string{"Datum för den tid du vill avboka", "Date of the appointment you want to cancel"}, true),
		}},
		cases.RenewPrescription: {AllowGuardian: true, Fields: []wire.FormField{
			text("medicine", [2]string{"Läkemedlets namn och styrka", "The medicine's name and strength"},
				[2]string{"Som det står på förpackningen, till exempel Alvedon 500 mg.", "As the package says, for example Alvedon 500 mg."}, true),
			choice(wire.FieldSelect, "howOften", [2]string{"Hur ofta tar du läkemedlet?", "How often do you take the medicine?"}, false,
				"daily", "Varje dag", "Every day", "sometimes", "Vid behov", "When needed", "seldom", "Sällan", "Seldom"),
		}},
		cases.RenewSickLeave: {Fields: []wire.FormField{
			date("until", [2]string{"Till vilket datum behöver du intyget?", "Until what date do you need the certificate?"}, true),
			text("work", [2]string{"Ditt arbete", "Your work"}, [2]string{"Vad du arbetar med.", "What you work with."}, true),
		}},
		cases.RecordExtract: {AllowGuardian: true, Fields: []wire.FormField{
			text("period", [2]string{"Vilken tidsperiod gäller det?", "What period is it about?"}, [2]string{"Till exempel 2023–2025.", "For example 2023–2025."}, true),
			choice(wire.FieldRadio, "delivery", [2]string{"Hur vill du få kopian?", "How do you want the copy?"}, true,
				"post", "Med post", "By post", "pickup", "Hämta på vårdcentralen", "Collect it at the clinic"),
		}},
		cases.AdviceNurse: {AllowGuardian: true, Fields: []wire.FormField{
			area("question", question, none, true),
			choice(wire.FieldSelect, "since", [2]string{"Hur länge har du haft besvären?", "How long have you had the trouble?"}, false,
				"days", "Några dagar", "A few days", "weeks", "Några veckor", "A few weeks", "longer", "Längre", "Longer"),
		}},
		cases.AdvicePsychologist: {AllowGuardian: true, Fields: []wire.FormField{
			area("question", question, none, true),
		}},
		cases.ChangeFamilyDoctor: {AllowGuardian: true, Fields: []wire.FormField{
			text("wish", [2]string{"Önskad läkare", "The doctor you would like"}, [2]string{"Lämna tomt om du inte har något önskemål.", "Leave it empty if you have no wish."}, false),
		}},
		cases.SymptomRegistration: {AllowGuardian: true, Fields: []wire.FormField{
			area("symptoms", [2]string{"Vilka symtom har du?", "What symptoms do you have?"}, none, true),
			date("since", [2]string{"Sedan när?", "Since when?"}, false),
			check("fever", [2]string{"Jag har feber", "I have a fever"}),
			when(text("temperature", [2]string{"Högsta temperatur", "Highest temperature"}, [2]string{"I grader Celsius.", "In degrees Celsius."}, true), "fever", "true"),
		}},
		cases.ContactMe: {AllowGuardian: true, Fields: []wire.FormField{
			text("phone", [2]string{"Telefonnummer", "Phone number"}, [2]string{"Numret vi ska ringa.", "The number we are to call."}, true),
			choice(wire.FieldRadio, "when", [2]string{"När kan vi ringa?", "When may we call?"}, false, timeOfDay...),
		}},
	}
	var set wire.FormSet
	for _, t := range cases.Types {
		f, ok := forms[t]
		if !ok {
			panic("central: no default form for case type " + string(t))
		}
		f.ID, f.Version, f.Title = string(t), 1, labels.TypeText(t)
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
