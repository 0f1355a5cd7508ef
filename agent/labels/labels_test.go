package labels_test

import (
	"slices"
	"testing"

	"clinicgw/agent/cases"
	"clinicgw/agent/labels"
	"clinicgw/sync/wire"
	wirelabels "clinicgw/sync/wire/labels"
	"clinicgw/sync/wire/labels/labelstest"
)

// named are the code types this package names; shownElsewhere are shown
// to people and named by the package that shows them (with the test that
// checks it); internal are never shown to people.
var (
	named = []string{"casetype.Type", "cases.Status", "wire.CaseStatus", "cases.Action", "cases.Role",
		"cases.ActorKind", "cases.MessageKind", "wire.OutboxKind", "audit.Outcome", "wire.FieldKind"}
	shownElsewhere = map[string]string{
		"notify.Kind":    "localui's catalog, TestEveryCodeHasLabels",
		"notify.Channel": "localui's catalog, TestEveryCodeHasLabels",
		"cases.GroupID":  "a staff group's id: pages and statistics show the group's name, which the unit gave it (localui/report's GroupNames, TestGroupChartsGolden)",
	}
	internal = map[string]string{
		"cases.ID":                  "an identifier, shown as such",
		"personnummer.Personnummer": "a personnummer, shown as such",
		"cases.Index":               "a store index name",
		"cases.InboundKind":         "the sync's event kinds inside the gateway",
		"cases.OutboundKind":        "the sync's outbox kinds inside the gateway",
		"wire.EventKind":            "a protocol value",
		"wire.ItemStatus":           "a protocol value",
		"wire.StreamType":           "a protocol value",
		"cardauth.EndReason":        "the lock page says what ended a session in words, never by reason code",

		"cases.SyncLog":          "the names of the sync's own logs inside the gateway (journal, confirmed), never shown",
		"wire.QuarantineReason":  "a protocol value: the quarantine report to the central store (region IT reads it there)",
		"wire.BookingKind":       "a protocol value: a patient's booking request (book, rebook, cancel); the central store's booking pages say what the patient asked in words (central.page.booking.*)",
		"wire.BookingOutcome":    "a protocol value: the gateway's decision; the patient's page says it in words (central.page.booking.*, and booking.declined.* for the reason)",
		"cases.QuarantineReason": "for region IT: clinicgw quarantine list, /healthz and a metric label; staff see only a count",
	}
)

// TestEveryCodeHasLabels (issue 15, item 6): every constant of every code
// type, found in the Go source, has a Swedish and an English name; every
// code type is named here, named where it is shown, or never shown.
func TestEveryCodeHasLabels(t *testing.T) {
	consts, types, err := labelstest.Consts()
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range types {
		if !slices.Contains(named, typ) && shownElsewhere[typ] == "" && internal[typ] == "" {
			t.Errorf("code type %s: name it in labels, or say in this test where it is named or why it is never shown", typ)
		}
	}
	n := 0
	for _, c := range labelstest.Of(consts, named...) {
		n++
		sv, en, ok := labels.Known(c.Type, c.Value)
		if !ok {
			t.Errorf("%s.%s (%q) lacks a Swedish or an English name (sv %q, en %q)", c.Type, c.Name, c.Value, sv, en)
		}
		if sv == c.Value || en == c.Value {
			t.Errorf("%s.%s (%q) is named by its code", c.Type, c.Name, c.Value)
		}
	}
	if n < 60 {
		t.Errorf("only %d constants found: the source scan is broken", n)
	}
}

func TestUnknownCodeMarked(t *testing.T) {
	if got := labels.Action("teleport", "sv"); got != "okänd kod ”teleport”" {
		t.Errorf("unknown action: %q", got)
	}
	if got := wirelabels.Type("pizza", "en"); got != "unknown code “pizza”" {
		t.Errorf("unknown type: %q", got)
	}
}

func TestActor(t *testing.T) {
	names := func(h string) string { return map[string]string{"SE1-A": "Anna Andersson"}[h] }
	for _, tt := range []struct{ actor, lang, want string }{
		{"patient", "sv", "Patienten"}, {"system", "sv", "Systemet"}, {"system", "en", "The system"},
		{"SE1-A", "sv", "Anna Andersson"}, {"SE1-B", "sv", "SE1-B"},
	} {
		if got := labels.Actor(tt.actor, tt.lang, names); got != tt.want {
			t.Errorf("Actor(%q, %s) = %q, want %q", tt.actor, tt.lang, got, tt.want)
		}
	}
}

// TestAnswers: every kind of field, in both languages, and every way an
// answer can outlive its form.
func TestAnswers(t *testing.T) {
	form := &wire.Form{ID: "advice-nurse", Version: 2, Fields: []wire.FormField{
		{Name: "q", Label: wire.Text{SV: "Fråga", EN: "Question"}, Kind: wire.FieldTextarea},
		{Name: "since", Label: wire.Text{SV: "Hur länge?", EN: "How long?"}, Kind: wire.FieldSelect,
			Options: []wire.Option{{Value: "days", Label: wire.Text{SV: "Några dagar", EN: "A few days"}}, {Value: "weeks", Label: wire.Text{SV: "Några veckor"}}}},
		{Name: "when", Label: wire.Text{SV: "När?"}, Kind: wire.FieldRadio, Options: []wire.Option{{Value: "am", Label: wire.Text{SV: "Förmiddag", EN: "Morning"}}}},
		{Name: "fever", Label: wire.Text{SV: "Feber", EN: "Fever"}, Kind: wire.FieldCheckbox},
		{Name: "from", Label: wire.Text{SV: "Sedan", EN: "Since"}, Kind: wire.FieldDate},
		{Name: "renamed", Label: wire.Text{SV: "Ny fråga", EN: "New question"}, Kind: wire.FieldText},
	}}
	tests := []struct {
		name  string
		field cases.Field
		lang  string
		want  wirelabels.Answer
	}{
		{"free text", cases.Field{Name: "q", Label: "Fråga", Value: "Hosta\nsnuva"}, "sv",
			wirelabels.Answer{Name: "q", Question: "Fråga", Text: "Hosta\nsnuva", Kind: wire.FieldTextarea}},
		{"free text, English", cases.Field{Name: "q", Label: "Fråga", Value: "Hosta"}, "en",
			wirelabels.Answer{Name: "q", Question: "Question", Text: "Hosta", Kind: wire.FieldTextarea}},
		{"select", cases.Field{Name: "since", Label: "Hur länge?", Value: "days"}, "sv",
			wirelabels.Answer{Name: "since", Question: "Hur länge?", Text: "Några dagar", Kind: wire.FieldSelect, Code: "days"}},
		{"select, English", cases.Field{Name: "since", Label: "Hur länge?", Value: "days"}, "en",
			wirelabels.Answer{Name: "since", Question: "How long?", Text: "A few days", Kind: wire.FieldSelect, Code: "days"}},
		{"select, no English: Swedish", cases.Field{Name: "since", Label: "Hur länge?", Value: "weeks"}, "en",
			wirelabels.Answer{Name: "since", Question: "How long?", Text: "Några veckor", Kind: wire.FieldSelect, Code: "weeks"}},
		{"radio", cases.Field{Name: "when", Label: "När?", Value: "am"}, "sv",
			wirelabels.Answer{Name: "when", Question: "När?", Text: "Förmiddag", Kind: wire.FieldRadio, Code: "am"}},
		{"option gone", cases.Field{Name: "since", Label: "Hur länge?", Value: "months"}, "sv",
			wirelabels.Answer{Name: "since", Question: "Hur länge?", Text: "months", Kind: wire.FieldSelect, Code: "months", Unmatched: true,
				Note: "alternativet finns inte i formuläret längre; svaret visas som det skickades"}},
		{"box ticked", cases.Field{Name: "fever", Label: "Feber", Value: "true"}, "sv",
			wirelabels.Answer{Name: "fever", Question: "Feber", Text: "Ja", Kind: wire.FieldCheckbox, Code: "true"}},
		{"box not ticked, English", cases.Field{Name: "fever", Label: "Feber", Value: "false"}, "en",
			wirelabels.Answer{Name: "fever", Question: "Fever", Text: "No", Kind: wire.FieldCheckbox, Code: "false"}},
		{"box, odd value", cases.Field{Name: "fever", Label: "Feber", Value: "ja"}, "sv",
			wirelabels.Answer{Name: "fever", Question: "Feber", Text: "ja", Kind: wire.FieldCheckbox, Code: "ja", Unmatched: true,
				Note: "svaret passar inte fältet i formuläret; det visas som det skickades"}},
		{"date", cases.Field{Name: "from", Label: "Sedan", Value: "2026-02-28"}, "en",
			wirelabels.Answer{Name: "from", Question: "Since", Text: "2026-02-28", Kind: wire.FieldDate}},
		{"not a date", cases.Field{Name: "from", Label: "Sedan", Value: "igår"}, "sv",
			wirelabels.Answer{Name: "from", Question: "Sedan", Text: "igår", Kind: wire.FieldDate, Unmatched: true,
				Note: "svaret passar inte fältet i formuläret; det visas som det skickades"}},
		{"label changed since: the patient's", cases.Field{Name: "renamed", Label: "Gammal fråga", Value: "x"}, "en",
			wirelabels.Answer{Name: "renamed", Question: "Gammal fråga", Text: "x", Kind: wire.FieldText}},
		{"field gone", cases.Field{Name: "gone", Label: "Borttagen", Value: "days"}, "en",
			wirelabels.Answer{Name: "gone", Question: "Borttagen", Text: "days", Unmatched: true,
				Note: "the field is no longer on the form; the answer is shown as it was sent"}},
		{"no label", cases.Field{Name: "gone", Value: ""}, "sv", wirelabels.Answer{Name: "gone", Question: "gone"}},
	}
	for _, tt := range tests {
		got := labels.Answers(form, []cases.Field{tt.field}, tt.lang)
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s: %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
	if got := labels.Answers(nil, []cases.Field{{Name: "since", Label: "Hur länge?", Value: "days"}}, "sv"); !got[0].Unmatched || got[0].Text != "days" ||
		got[0].Note != "formuläret för ärendetypen finns inte; svaret visas som det skickades" {
		t.Errorf("no form: %+v", got)
	}
}
