package casetype

import "clinicgw/sync/wire"

// DefaultForms returns the built-in forms, one for every case type of All,
// in Swedish and English, titled with the case type's names (Names: what
// staff call the type too). A unit that has not published forms gets
// these.
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
	forms := map[Type]wire.Form{
		BookAppointment: {AllowGuardian: true, Fields: []wire.FormField{
			area("reason", [2]string{"Vad gäller besöket?", "What is the visit about?"}, [2]string{"Beskriv kort varför du vill komma.", "Say briefly why you want to come."}, true),
			choice(wire.FieldRadio, "when", [2]string{"När passar det bäst?", "When suits you best?"}, false, timeOfDay...),
		}},
		ChangeAppointment: {AllowGuardian: true, Fields: []wire.FormField{
			date("current", [2]string{"Datum för den tid du har nu", "Date of the appointment you have now"}, true),
			choice(wire.FieldRadio, "when", [2]string{"När passar en ny tid bäst?", "When would a new time suit you best?"}, false, timeOfDay...),
		}},
		CancelAppointment: {AllowGuardian: true, Fields: []wire.FormField{
			date("current", [2]string{"Datum för den tid du vill avboka", "Date of the appointment you want to cancel"}, true),
		}},
		RenewPrescription: {AllowGuardian: true, Fields: []wire.FormField{
			text("medicine", [2]string{"Läkemedlets namn och styrka", "The medicine's name and strength"},
				[2]string{"Som det står på förpackningen, till exempel Alvedon 500 mg.", "As the package says, for example Alvedon 500 mg."}, true),
			choice(wire.FieldSelect, "howOften", [2]string{"Hur ofta tar du läkemedlet?", "How often do you take the medicine?"}, false,
				"daily", "Varje dag", "Every day", "sometimes", "Vid behov", "When needed", "seldom", "Sällan", "Seldom"),
		}},
		RenewSickLeave: {Fields: []wire.FormField{
			date("until", [2]string{"Till vilket datum behöver du intyget?", "Until what date do you need the certificate?"}, true),
			text("work", [2]string{"Ditt arbete", "Your work"}, [2]string{"Vad du arbetar med.", "What you work with."}, true),
		}},
		RecordExtract: {AllowGuardian: true, Fields: []wire.FormField{
			text("period", [2]string{"Vilken tidsperiod gäller det?", "What period is it about?"}, [2]string{"Till exempel 2023–2025.", "For example 2023–2025."}, true),
			choice(wire.FieldRadio, "delivery", [2]string{"Hur vill du få kopian?", "How do you want the copy?"}, true,
				"post", "Med post", "By post", "pickup", "Hämta på vårdcentralen", "Collect it at the clinic"),
		}},
		AdviceNurse: {AllowGuardian: true, Fields: []wire.FormField{
			area("question", question, none, true),
			choice(wire.FieldSelect, "since", [2]string{"Hur länge har du haft besvären?", "How long have you had the trouble?"}, false,
				"days", "Några dagar", "A few days", "weeks", "Några veckor", "A few weeks", "longer", "Längre", "Longer"),
		}},
		AdvicePsychologist: {AllowGuardian: true, Fields: []wire.FormField{
			area("question", question, none, true),
		}},
		ChangeFamilyDoctor: {AllowGuardian: true, Fields: []wire.FormField{
			text("wish", [2]string{"Önskad läkare", "The doctor you would like"}, [2]string{"Lämna tomt om du inte har något önskemål.", "Leave it empty if you have no wish."}, false),
		}},
		SymptomRegistration: {AllowGuardian: true, Fields: []wire.FormField{
			area("symptoms", [2]string{"Vilka symtom har du?", "What symptoms do you have?"}, none, true),
			date("since", [2]string{"Sedan när?", "Since when?"}, false),
			check("fever", [2]string{"Jag har feber", "I have a fever"}),
			when(text("temperature", [2]string{"Högsta temperatur", "Highest temperature"}, [2]string{"I grader Celsius.", "In degrees Celsius."}, true), "fever", "true"),
		}},
		ContactMe: {AllowGuardian: true, Fields: []wire.FormField{
			text("phone", [2]string{"Telefonnummer", "Phone number"}, [2]string{"Numret vi ska ringa.", "The number we are to call."}, true),
			choice(wire.FieldRadio, "when", [2]string{"När kan vi ringa?", "When may we call?"}, false, timeOfDay...),
		}},
	}
	var set wire.FormSet
	for _, t := range All {
		f, ok := forms[t]
		if !ok {
			panic("casetype: no default form for case type " + string(t))
		}
		sv, en, _ := Names(t)
		f.ID, f.Version, f.Title = string(t), 1, wire.Text{SV: sv, EN: en}
		set.Forms = append(set.Forms, f)
	}
	return set
}
