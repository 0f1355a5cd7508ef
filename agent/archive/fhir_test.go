package archive

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

var update = flag.Bool("update", false, "write the golden files")

// fhirCases are the renderings checked against the schema: an answered
// and closed case with a form, a guardian and access-log records; a case
// still waiting, with no assignee, no form, no due date and no records.
func fhirCases() map[string]struct {
	c       *cases.Case
	form    *wire.Form
	records []audit.Record
} {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	child := cases.Person{PNR: personnummer.Synthetic(time.Date(2018, 5, 17, 0, 0, 0, 0, time.UTC), 981), Name: "Test Barnsson"}
	parent := cases.Person{PNR: personnummer.Synthetic(time.Date(1985, 1, 2, 0, 0, 0, 0, time.UTC), 982), Name: "Test Föräldersson"}
	closed := &cases.Case{ID: "01kjprzb00f4s5jf3tmfd16d59", Unit: unit, Type: casetype.RenewPrescription, Status: cases.Closed,
		Patient: child, Guardian: &parent, Assignee: hsaClin,
		ReceivedAt: at, DueAt: at.Add(48 * time.Hour), AnsweredAt: at.Add(5 * time.Hour), ClosedAt: at.Add(6 * time.Hour),
		Fields: []cases.Field{{Name: "medicine", Label: "Läkemedlets namn och styrka", Value: "Testmedicin 10 mg"},
			{Name: "howOften", Label: "Hur ofta tar du läkemedlet?", Value: "daily"},
			{Name: "pharmacy", Label: "Hur vill du hämta ut det?", Value: "drive-in"},
			{Name: "lastDose", Label: "Senaste dosen", Value: "2026-03-01"},
			{Name: "allergy", Label: "Jag är allergisk mot något läkemedel", Value: "false"},
			{Name: "note", Label: "Övrigt", Value: ""}},
		Messages: []cases.Message{
			{ID: "m1", Kind: cases.FromPatient, Author: "patient", Text: "Jag behöver förnya receptet.", At: at},
			{ID: "m2", Kind: cases.Answer, Author: hsaClin, Text: "Receptet är förnyat.", Signature: "Doris Doktor\nLäkare", AuthorTitle: "Läkare", At: at.Add(5 * time.Hour)},
		},
		History: []cases.Event{{At: at, Actor: "system", Action: cases.Receive, To: cases.Received},
			{At: at.Add(time.Hour), Actor: hsaDist, Action: cases.Assign, From: cases.Received, To: cases.Assigned, Assignee: hsaClin},
			{At: at.Add(5 * time.Hour), Actor: hsaClin, Action: cases.SendAnswer, From: cases.Assigned, To: cases.Answered},
			{At: at.Add(6 * time.Hour), Actor: hsaDist, Action: cases.Close, From: cases.Answered, To: cases.Closed}}}
	var records []audit.Record
	for i, e := range []audit.Entry{
		{Time: at, Actor: "system", Unit: unit, Action: string(cases.Receive), CaseID: string(closed.ID), Patient: string(child.PNR), Outcome: audit.Allowed},
		{Time: at.Add(2 * time.Hour), Actor: hsaClin, Unit: unit, Action: string(cases.Read), CaseID: string(closed.ID), Patient: string(child.PNR), Outcome: audit.Allowed},
		{Time: at.Add(3 * time.Hour), Actor: "SE2321000016-X999", Unit: unit, Action: string(cases.Read), CaseID: string(closed.ID), Patient: string(child.PNR), Outcome: audit.Denied},
	} {
		records = append(records, audit.Record{Seq: uint64(41 + i), Entry: e})
	}
	waiting := &cases.Case{ID: "01kjq0000000000000000000aa", Unit: unit, Type: casetype.ContactMe, Status: cases.Received,
		Patient: cases.Person{PNR: parent.PNR, Name: parent.Name}, ReceivedAt: at,
		Messages: []cases.Message{{ID: "m1", Kind: cases.FromPatient, Author: "patient", Text: "Ring mig.", At: at}}}
	return map[string]struct {
		c       *cases.Case
		form    *wire.Form
		records []audit.Record
	}{"fhir-closed.json": {closed, testForm(), records}, "fhir-waiting.json": {waiting, nil, nil}}
}

// TestFHIRValidAndGolden: each case's FHIR rendering equals its golden
// file (-update writes them), has no null and no empty value, and
// validates against the FHIR R4 JSON schema (testdata/fhir-r4.schema.json.gz: HL7's 4.0.1 schema as Medplum's
// definitions package ships it, with its few added resources): only
// elements the resources have, required ones present, codes and dates
// of the right form.
func TestFHIRValidAndGolden(t *testing.T) {
	schema := loadFHIRSchema(t)
	// The check can fail: what the first renderings had wrong is refused.
	for _, bad := range []string{
		`{"resourceType": "Task", "status": "completed", "intent": "order", "owner": null}`,
		`{"resourceType": "Task", "status": "completed", "intent": "order", "authoredOn": ""}`,
		`{"resourceType": "QuestionnaireResponse", "status": "completed", "item": [{"linkId": "q", "text": ""}]}`,
		`{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Task", "status": "done", "intent": "order"}}]}`,
	} {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if schema.validate(doc) == nil {
			t.Errorf("the schema check accepts %s", bad)
		}
	}
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	for name, tc := range fhirCases() {
		t.Run(name, func(t *testing.T) {
			compact, err := FHIR(tc.c, tc.form, tc.records, now)
			if err != nil {
				t.Fatal(err)
			}
			// The package holds compact JSON; the golden file is it
			// pretty-printed, as a reader would.
			var indented bytes.Buffer
			if err := json.Indent(&indented, compact, "", " "); err != nil {
				t.Fatal(err)
			}
			got := indented.Bytes()
			golden := filepath.Join("testdata", name)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("FHIR rendering differs from %s (run with -update if the change is meant):\n%s", golden, got)
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(got))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.validate(doc); err != nil {
				t.Error(err)
			}
		})
	}
}

// fhirSchema checks FHIR JSON one resource at a time, against the
// definition its resourceType names (the schema's top-level oneOf over
// every resource gives unreadable errors).
type fhirSchema struct {
	c     *jsonschema.Compiler
	types map[string]*jsonschema.Schema
}

const fhirSchemaURL = "http://hl7.org/fhir/json-schema/4.0"

func loadFHIRSchema(t *testing.T) *fhirSchema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "fhir-r4.schema.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(zr)
	if err != nil {
		t.Fatal(err)
	}
	// The schema names two definitions it lacks: integer64 (an R5 type, in
	// an element no case uses), defined as R5 does, a string; and Resource
	// (in elements no case uses), any object. A bundle entry's resource
	// (ResourceList, a oneOf over every resource) is left open here: each
	// is validated on its own against its type.
	defs := doc.(map[string]any)["definitions"].(map[string]any)
	defs["integer64"] = map[string]any{"type": "string"}
	defs["Resource"] = map[string]any{"type": "object"}
	defs["ResourceList"] = map[string]any{"type": "object"}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(fhirSchemaURL, doc); err != nil {
		t.Fatal(err)
	}
	return &fhirSchema{c: c, types: map[string]*jsonschema.Schema{}}
}

// validate checks a resource, and for a Bundle each entry's resource too.
func (s *fhirSchema) validate(res any) error {
	m, ok := res.(map[string]any)
	if !ok {
		return fmt.Errorf("a resource is a JSON object, not %T", res)
	}
	rt, _ := m["resourceType"].(string)
	sch, ok := s.types[rt]
	if !ok {
		var err error
		if sch, err = s.c.Compile(fhirSchemaURL + "#/definitions/" + rt); err != nil {
			return fmt.Errorf("resourceType %q: %w", rt, err)
		}
		s.types[rt] = sch
	}
	var errs []error
	if err := sch.Validate(res); err != nil {
		errs = append(errs, fmt.Errorf("not a valid FHIR R4 %s: %w", rt, err))
	}
	errs = append(errs, noNullOrEmpty(rt, res))
	entries, _ := m["entry"].([]any)
	for _, e := range entries {
		errs = append(errs, s.validate(e.(map[string]any)["resource"]))
	}
	return errors.Join(errs...)
}

// noNullOrEmpty checks two rules of FHIR's JSON format that the schema
// does not state: no null values, no empty strings, objects or arrays.
func noNullOrEmpty(path string, v any) error {
	var errs []error
	switch v := v.(type) {
	case nil:
		return fmt.Errorf("%s: null (FHIR JSON leaves the element out)", path)
	case string:
		if v == "" {
			return fmt.Errorf("%s: empty string", path)
		}
	case map[string]any:
		if len(v) == 0 {
			return fmt.Errorf("%s: empty object", path)
		}
		for k, e := range v {
			if k == "resource" {
				continue // an entry's resource is checked on its own
			}
			errs = append(errs, noNullOrEmpty(path+"."+k, e))
		}
	case []any:
		if len(v) == 0 {
			return fmt.Errorf("%s: empty array", path)
		}
		for i, e := range v {
			errs = append(errs, noNullOrEmpty(fmt.Sprintf("%s[%d]", path, i), e))
		}
	}
	return errors.Join(errs...)
}

// testForm is the unit's renew-prescription form as the closed case is
// read by: every kind of field, and no longer the option "drive-in".
func testForm() *wire.Form {
	sv := func(s string) wire.Text { return wire.Text{SV: s} }
	return &wire.Form{ID: string(casetype.RenewPrescription), Version: 3, Title: sv("Förnya recept"), Fields: []wire.FormField{
		{Name: "medicine", Label: sv("Läkemedlets namn och styrka"), Kind: wire.FieldText},
		{Name: "howOften", Label: sv("Hur ofta tar du läkemedlet?"), Kind: wire.FieldSelect,
			Options: []wire.Option{{Value: "daily", Label: sv("Varje dag")}, {Value: "sometimes", Label: sv("Vid behov")}}},
		{Name: "pharmacy", Label: sv("Hur vill du hämta ut det?"), Kind: wire.FieldRadio,
			Options: []wire.Option{{Value: "counter", Label: sv("På apoteket")}}},
		{Name: "lastDose", Label: sv("Senaste dosen"), Kind: wire.FieldDate},
		{Name: "allergy", Label: sv("Jag är allergisk mot något läkemedel"), Kind: wire.FieldCheckbox},
		{Name: "note", Label: sv("Övrigt"), Kind: wire.FieldTextarea},
	}}
}

// TestFHIRAnswersNamed (issue 15, item 5): each form answer in the FHIR
// export keeps its code and carries its Swedish name: a choice as
// valueCoding with code and display, a box as valueBoolean, a date as
// valueDate; an option the form no longer has keeps its code, without a
// display that would be a guess. Every code of the bundle has its name.
func TestFHIRAnswersNamed(t *testing.T) {
	tc := fhirCases()["fhir-closed.json"]
	b, err := FHIR(tc.c, tc.form, tc.records, time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Entry []struct {
			Resource map[string]json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatal(err)
	}
	answers := map[string]string{}
	var codings []string
	for _, e := range bundle.Entry {
		var rt string
		json.Unmarshal(e.Resource["resourceType"], &rt)
		switch rt {
		case "QuestionnaireResponse":
			var items []struct {
				LinkID string            `json:"linkId"`
				Answer []json.RawMessage `json:"answer"`
			}
			json.Unmarshal(e.Resource["item"], &items)
			for _, it := range items {
				if len(it.Answer) == 1 {
					answers[it.LinkID] = string(it.Answer[0])
				}
			}
		case "Task":
			codings = append(codings, string(e.Resource["code"]))
		case "Communication":
			codings = append(codings, string(e.Resource["category"]))
		case "AuditEvent":
			codings = append(codings, string(e.Resource["subtype"]))
		}
	}
	compact := func(s string) string {
		var v any
		json.Unmarshal([]byte(s), &v)
		out, _ := json.Marshal(v)
		return string(out)
	}
	for name, want := range map[string]string{
		"medicine": `{"valueString":"Testmedicin 10 mg"}`,
		"howOften": `{"valueCoding":{"code":"daily","display":"Varje dag","system":"urn:clinicgw:form:renew-prescription:howOften"}}`,
		"pharmacy": `{"valueCoding":{"code":"drive-in","system":"urn:clinicgw:form:renew-prescription:pharmacy"}}`,
		"lastDose": `{"valueDate":"2026-03-01"}`,
		"allergy":  `{"valueBoolean":false}`,
	} {
		if got := compact(answers[name]); got != want {
			t.Errorf("answer %s: %s, want %s", name, got, want)
		}
	}
	for _, c := range codings {
		if !strings.Contains(c, `"display"`) {
			t.Errorf("a code without its name: %s", c)
		}
	}
}

// TestPackageTextsInSwedish (issue 15, item 5): case.json says beside each
// code what it means in Swedish — the case type, the status, each answer
// (with its code, and a note where the form no longer explains it), each
// message kind and history step; access-log.json names each action and
// outcome; METS.xml labels each case with its type.
func TestPackageTextsInSwedish(t *testing.T) {
	tc := fhirCases()["fhir-closed.json"]
	b, err := json.Marshal(archived(tc.c, tc.form))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"type":"renew-prescription"`, `"fields":[`, // the case as kept
		`"sv":{"type":"Förnya recept","status":"Avslutad"`,
		`{"name":"howOften","question":"Hur ofta tar du läkemedlet?","answer":"Varje dag","code":"daily"}`,
		`{"name":"pharmacy","question":"Hur vill du hämta ut det?","answer":"drive-in","code":"drive-in","note":"alternativet finns inte i formuläret längre; svaret visas som det skickades"}`,
		`{"name":"allergy","question":"Jag är allergisk mot något läkemedel","answer":"Nej","code":"false"}`,
		`"messages":["Från patienten","Svar"]`, `"history":["Inkom","Tilldelades","Besvarades","Avslutades"]`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("case.json lacks %s\n%s", want, b)
		}
	}
	b, err = json.Marshal(accessJSON(tc.records))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"who":"Systemet","actionSv":"Inkom","outcomeSv":"tillåten"`, `"actionSv":"Ärendet lästes","outcomeSv":"NEKAD"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("access-log.json lacks %s\n%s", want, b)
		}
	}
	mets, err := metsXML("pkg", unit, time.Now(), []FileSum{{Path: "representations/rep1/data/" + string(tc.c.ID) + "/case.json"}},
		map[string]string{string(tc.c.ID): "Förnya recept – " + string(tc.c.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mets), `LABEL="Förnya recept – `+string(tc.c.ID)+`"`) {
		t.Errorf("METS.xml: %s", mets)
	}
}
