package catalog

import (
	"clinicgw/sync/i18n"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// Template is a service the regions list for a unit to switch on, ready
// to offer: its Service (version 1, offered, Template set to its id) and
// the staff group its cases usually go to (RouteHint, e.g. "nurses"); a
// unit that has a group of that id routes the service there when it
// switches it on (Enable), else to the inbox.
type Template struct {
	Service   Service
	RouteHint string
}

// The ids of the templates beyond today's case types (casetype.All).
const (
	RebookOrCancel       = "rebook-or-cancel"
	ContactMeNurse       = "contact-me-nurse"
	ContactMeDoctor      = "contact-me-doctor"
	RenewAssistiveDevice = "renew-assistive-device"
	TestResults          = "test-results"
	RequestCertificate   = "request-certificate"
	LifestyleSupport     = "lifestyle-support"
)

// Templates returns the templates, in the order the designer lists them:
// the regions' list first, then today's other case types, so that a unit
// finds every service it had. Names come from sync/i18n (type.<id>), the
// fallback name of every case of the id.
func Templates() []Template {
	tx := func(sv, en string) wire.Text { return wire.Text{SV: sv, EN: en} }
	area := func(name, sv, en string, required bool) wire.FormField {
		return wire.FormField{Name: name, Label: tx(sv, en), Kind: wire.FieldTextarea, Required: required}
	}
	line := func(name, sv, en string, required bool) wire.FormField {
		return wire.FormField{Name: name, Label: tx(sv, en), Kind: wire.FieldText, Required: required}
	}
	timeOfDay := wire.FormField{Name: "when", Label: tx("När kan vi ringa?", "When may we call?"), Kind: wire.FieldRadio, Options: []wire.Option{
		{Value: "morning", Label: tx("Förmiddag", "Morning")}, {Value: "afternoon", Label: tx("Eftermiddag", "Afternoon")}, {Value: "any", Label: tx("Spelar ingen roll", "Any time")}}}
	phone := wire.FormField{Name: "phone", Label: tx("Telefonnummer", "Phone number"), Help: tx("Numret vi ska ringa.", "The number we are to call."), Kind: wire.FieldText, Required: true}
	own := map[string]Template{
		RebookOrCancel: {Service: Service{AllowGuardian: true, Fields: []wire.FormField{
			{Name: "current", Label: tx("Datum för den tid du har nu", "Date of the appointment you have now"), Kind: wire.FieldDate, Required: true},
			{Name: "wish", Label: tx("Vad vill du göra?", "What do you want to do?"), Kind: wire.FieldRadio, Required: true, Options: []wire.Option{
				{Value: "rebook", Label: tx("Boka om till en annan tid", "Move it to another time")}, {Value: "cancel", Label: tx("Avboka", "Cancel it")}}},
		}}},
		ContactMeNurse:  {RouteHint: "nurses", Service: Service{AllowGuardian: true, Fields: []wire.FormField{phone, timeOfDay, area("about", "Vad gäller det?", "What is it about?", false)}}},
		ContactMeDoctor: {RouteHint: "doctors", Service: Service{AllowGuardian: true, Fields: []wire.FormField{phone, timeOfDay, area("about", "Vad gäller det?", "What is it about?", false)}}},
		RenewAssistiveDevice: {Service: Service{AllowGuardian: true, Fields: []wire.FormField{
			line("device", "Vilket hjälpmedel gäller det?", "Which assistive device is it?", true),
			area("need", "Har ditt behov ändrats?", "Has your need changed?", false),
		}}},
		TestResults: {Service: Service{AllowGuardian: true, Fields: []wire.FormField{
			{Name: "kind", Label: tx("Vad vill du ha svar på?", "What results do you want?"), Kind: wire.FieldRadio, Required: true, Options: []wire.Option{
				{Value: "lab", Label: tx("Prover", "Tests")}, {Value: "xray", Label: tx("Röntgen", "X-ray")}}},
			{Name: "date", Label: tx("När togs proverna eller röntgen?", "When were the tests or the X-ray taken?"), Kind: wire.FieldDate},
		}}},
		RequestCertificate: {Service: Service{Fields: []wire.FormField{
			line("certificate", "Vilket intyg behöver du?", "Which certificate do you need?", true),
			line("purpose", "Vad ska intyget användas till?", "What is the certificate for?", true),
		}}},
		LifestyleSupport: {Service: Service{AllowGuardian: true, Fields: []wire.FormField{
			{Name: "habit", Label: tx("Vad vill du ha stöd med?", "What would you like support with?"), Kind: wire.FieldSelect, Required: true, Options: []wire.Option{
				{Value: "food", Label: tx("Mat", "Food")}, {Value: "tobacco", Label: tx("Tobak", "Tobacco")},
				{Value: "exercise", Label: tx("Fysisk aktivitet", "Exercise")}, {Value: "alcohol", Label: tx("Alkohol", "Alcohol")}}},
			area("goal", "Vad vill du förändra?", "What would you like to change?", false),
		}}},
	}
	hints := map[string]string{string(casetype.AdviceNurse): "nurses", string(casetype.AdvicePsychologist): "psychologists"}
	defaults := map[string]wire.Form{}
	for _, f := range casetype.DefaultForms().Forms {
		defaults[f.ID] = f
	}
	order := []string{
		string(casetype.BookAppointment), RebookOrCancel, ContactMeNurse, ContactMeDoctor,
		string(casetype.RenewPrescription), RenewAssistiveDevice, TestResults,
		string(casetype.AdviceNurse), string(casetype.AdvicePsychologist), RequestCertificate, LifestyleSupport,
	}
	for _, t := range casetype.All {
		if !contains(order, string(t)) {
			order = append(order, string(t))
		}
	}
	out := make([]Template, 0, len(order))
	for _, id := range order {
		t, ok := own[id]
		if f, isDefault := defaults[id]; isDefault {
			t, ok = Template{Service: FromForm(f), RouteHint: hints[id]}, true
		}
		if !ok {
			panic("catalog: no template for " + id)
		}
		t.Service.ID, t.Service.Version, t.Service.Template = id, 1, id
		t.Service.Name = wire.Text{SV: i18n.T("sv", "type."+id), EN: i18n.T("en", "type."+id)}
		out = append(out, t)
	}
	return out
}

// FindTemplate returns the template with the id.
func FindTemplate(id string) (Template, bool) {
	for _, t := range Templates() {
		if t.Service.ID == id {
			return t, true
		}
	}
	return Template{}, false
}

// Enable switches template id on in c: a service the catalogue does not
// have is added, offered, routed to the template's group when
// groupExists has it; a retired service of the id is offered again, as
// it was. It reports whether the template exists.
func (c *Catalog) Enable(id string, groupExists func(string) bool) bool {
	t, ok := FindTemplate(id)
	if !ok {
		return false
	}
	if cur, had := c.Find(id); had {
		if cur.Retired {
			cur.Retired = false
			c.Put(cur)
		}
		return true
	}
	s := t.Service
	if t.RouteHint != "" && groupExists != nil && groupExists(t.RouteHint) {
		s.Route = t.RouteHint
	}
	c.Put(s)
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
