package wire

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// openAPI reads openapi.json with this package's own strict decoder, so a
// duplicate member in the document fails too.
func openAPI(t *testing.T) (doc map[string]any, text string) {
	t.Helper()
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := DecodeJSON(strings.NewReader(string(b)), 1<<20, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc, string(b)
}

// at follows keys from v; it fails the test if one is missing.
func at(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for i, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("openapi.json: %s is not an object", strings.Join(keys[:i], "."))
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("openapi.json: no %s", strings.Join(keys[:i+1], "."))
		}
	}
	return v
}

// schemaTypes are the Go types the document describes, by schema name.
var schemaTypes = map[string]reflect.Type{
	"InboxPage":          reflect.TypeFor[InboxPage](),
	"Event":              reflect.TypeFor[Event](),
	"NewCase":            reflect.TypeFor[NewCase](),
	"Person":             reflect.TypeFor[Person](),
	"Field":              reflect.TypeFor[Field](),
	"PatientMessage":     reflect.TypeFor[PatientMessage](),
	"Ack":                reflect.TypeFor[Ack](),
	"OutboxBatch":        reflect.TypeFor[OutboxBatch](),
	"OutboxItem":         reflect.TypeFor[OutboxItem](),
	"StaffMessage":       reflect.TypeFor[StaffMessage](),
	"InitiatedCase":      reflect.TypeFor[InitiatedCase](),
	"OutboxResult":       reflect.TypeFor[OutboxResult](),
	"ItemResult":         reflect.TypeFor[ItemResult](),
	"FormSet":            reflect.TypeFor[FormSet](),
	"Form":               reflect.TypeFor[Form](),
	"Text":               reflect.TypeFor[Text](),
	"FormField":          reflect.TypeFor[FormField](),
	"Option":             reflect.TypeFor[Option](),
	"Condition":          reflect.TypeFor[Condition](),
	"StreamMessage":      reflect.TypeFor[StreamMessage](),
	"Problem":            reflect.TypeFor[Problem](),
	"EventKind":          reflect.TypeFor[EventKind](),
	"OutboxKind":         reflect.TypeFor[OutboxKind](),
	"CaseStatus":         reflect.TypeFor[CaseStatus](),
	"ItemStatus":         reflect.TypeFor[ItemStatus](),
	"FieldKind":          reflect.TypeFor[FieldKind](),
	"StreamType":         reflect.TypeFor[StreamType](),
	"ChainedPage":        reflect.TypeFor[ChainedPage](),
	"Chain":              reflect.TypeFor[Chain](),
	"ReconcileBatch":     reflect.TypeFor[ReconcileBatch](),
	"ReconcileResult":    reflect.TypeFor[ReconcileResult](),
	"EventResult":        reflect.TypeFor[EventResult](),
	"ConfirmedPage":      reflect.TypeFor[ConfirmedPage](),
	"ConfirmedItem":      reflect.TypeFor[ConfirmedItem](),
	"QuarantineReport":   reflect.TypeFor[QuarantineReport](),
	"QuarantinedEvent":   reflect.TypeFor[QuarantinedEvent](),
	"QuarantineReason":   reflect.TypeFor[QuarantineReason](),
	"OutboxBatch2":       reflect.TypeFor[OutboxBatch2](),
	"ItemStaff":          reflect.TypeFor[ItemStaff](),
	"UnitContact":        reflect.TypeFor[UnitContact](),
	"BookingTimes":       reflect.TypeFor[BookingTimes](),
	"BookingTime":        reflect.TypeFor[BookingTime](),
	"BookingKind":        reflect.TypeFor[BookingKind](),
	"BookingRequest":     reflect.TypeFor[BookingRequest](),
	"BookingRequestPage": reflect.TypeFor[BookingRequestPage](),
	"BookingOutcome":     reflect.TypeFor[BookingOutcome](),
	"BookingDecision":    reflect.TypeFor[BookingDecision](),
	"BookingDecisions":   reflect.TypeFor[BookingDecisions](),
	"BookingBookings":    reflect.TypeFor[BookingBookings](),
	"PatientBooking":     reflect.TypeFor[PatientBooking](),
	"ServiceSet":         reflect.TypeFor[ServiceSet](),
	"PublishedService":   reflect.TypeFor[PublishedService](),
}

func TestOpenAPIVersionAndSecurity(t *testing.T) {
	doc, _ := openAPI(t)
	if v := at(t, doc, "openapi"); v != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", v)
	}
	if v := at(t, doc, "components", "securitySchemes", "mutualTLS", "type"); v != "mutualTLS" {
		t.Errorf("the security scheme's type is %v", v)
	}
	sec, _ := at(t, doc, "security").([]any)
	if len(sec) != 1 || !reflect.DeepEqual(sec[0], map[string]any{"mutualTLS": []any{}}) {
		t.Errorf("security = %v; want every operation under mutualTLS", sec)
	}
}

// TestOpenAPIPaths checks that the document has exactly the endpoint
// paths, and that the body operations answer with problems.
func TestOpenAPIPaths(t *testing.T) {
	doc, _ := openAPI(t)
	docPaths := at(t, doc, "paths").(map[string]any)
	for _, p := range paths {
		if _, ok := docPaths[p]; !ok {
			t.Errorf("openapi.json has no path %s", p)
		}
		if !strings.HasPrefix(p, PathPrefix) && !strings.HasPrefix(p, PathPrefix2) {
			t.Errorf("path %s is not under %s", p, PathPrefix)
		}
	}
	for p := range docPaths {
		if !slices.Contains(paths, p) {
			t.Errorf("openapi.json has path %s, which the package does not define", p)
		}
	}
	ops := []struct {
		path, method, request, response string
		codes                           []string
	}{
		{PathInbox, "get", "", "InboxPage", []string{"200", "400", "401", "403"}},
		{PathInboxAck, "post", "Ack", "", []string{"204", "400", "401", "403", "409", "413", "415"}},
		{PathOutbox, "post", "OutboxBatch", "OutboxResult", []string{"200", "400", "401", "403", "413", "415"}},
		{PathForms, "put", "FormSet", "", []string{"204", "400", "401", "403", "409", "413", "415"}},
		{PathForms, "get", "", "FormSet", []string{"200", "401", "403"}},
		{PathStream, "get", "", "", []string{"101", "401", "403"}},
		{PathInbox2, "get", "", "ChainedPage", []string{"200", "400", "401", "403"}},
		{PathReconcile2, "post", "ReconcileBatch", "ReconcileResult", []string{"200", "400", "401", "403", "413", "415"}},
		{PathConfirmed2, "get", "", "ConfirmedPage", []string{"200", "400", "401", "403"}},
		{PathOutbox2, "post", "OutboxBatch2", "OutboxResult", []string{"200", "400", "401", "403", "413", "415"}},
		{PathQuarantine2, "put", "QuarantineReport", "", []string{"204", "400", "401", "403", "413", "415"}},
		{PathQuarantine2, "get", "", "QuarantineReport", []string{"200", "401", "403"}},
		{PathContact2, "put", "UnitContact", "", []string{"204", "400", "401", "403", "413", "415"}},
		{PathContact2, "get", "", "UnitContact", []string{"200", "401", "403"}},
		{PathServices2, "put", "ServiceSet", "", []string{"204", "400", "401", "403", "409", "413", "415"}},
		{PathServices2, "get", "", "ServiceSet", []string{"200", "401", "403"}},
		{PathBookingTimes2, "put", "BookingTimes", "", []string{"204", "400", "401", "403", "404", "413", "415"}},
		{PathBookingRequests2, "get", "", "BookingRequestPage", []string{"200", "401", "403", "404"}},
		{PathBookingDecisions2, "post", "BookingDecisions", "", []string{"204", "400", "401", "403", "404", "413", "415"}},
		{PathBookingBookings2, "put", "BookingBookings", "", []string{"204", "400", "401", "403", "404", "413", "415"}},
	}
	for _, op := range ops {
		o := at(t, docPaths, op.path, op.method)
		if op.request != "" {
			if got := at(t, o, "requestBody", "content", ContentTypeJSON, "schema", "$ref"); got != "#/components/schemas/"+op.request {
				t.Errorf("%s %s: request schema %v", op.method, op.path, got)
			}
		}
		if op.response != "" {
			if got := at(t, o, "responses", "200", "content", ContentTypeJSON, "schema", "$ref"); got != "#/components/schemas/"+op.response {
				t.Errorf("%s %s: response schema %v", op.method, op.path, got)
			}
		}
		for _, c := range op.codes {
			at(t, o, "responses", c)
		}
	}
	if got := at(t, docPaths, PathStream, "get", "x-websocket-messages", "serverToClient", "$ref"); got != "#/components/schemas/StreamMessage" {
		t.Errorf("stream messages: %v", got)
	}
	// Every problem response is problem+json.
	for name, r := range at(t, doc, "components", "responses").(map[string]any) {
		if got := at(t, r, "content", ContentTypeProblem, "schema", "$ref"); got != "#/components/schemas/Problem" {
			t.Errorf("response %s: %v", name, got)
		}
	}
}

// TestOpenAPISchemas checks each Go type against its schema: the same
// member names, the same required members, no others allowed, members of
// struct and enum types referring to those types' schemas, and the same
// enum values.
func TestOpenAPISchemas(t *testing.T) {
	doc, _ := openAPI(t)
	schemas := at(t, doc, "components", "schemas").(map[string]any)
	enums := map[string][]string{
		"EventKind": strs(eventKinds), "OutboxKind": strs(outboxKinds), "CaseStatus": strs(caseStatuses),
		"ItemStatus": strs(itemStatuses), "FieldKind": strs(fieldKinds), "StreamType": strs(streamTypes),
		"QuarantineReason": strs(QuarantineReasons), "BookingKind": strs(bookingKinds), "BookingOutcome": strs(bookingOutcomes),
	}
	for name, typ := range schemaTypes {
		s := at(t, schemas, name)
		if typ.Kind() == reflect.String {
			want := enums[name]
			if want == nil {
				t.Fatalf("no Go values for enum %s", name)
			}
			if got := strs(at(t, s, "enum").([]any)); !slices.Equal(got, want) {
				t.Errorf("%s: enum %v, Go has %v", name, got, want)
			}
			continue
		}
		props := at(t, s, "properties").(map[string]any)
		var goNames, goRequired []string
		for f := range typ.Fields() {
			jsonName, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			goNames = append(goNames, jsonName)
			if !hasOption(opts, "omitempty") && !hasOption(opts, "omitzero") {
				goRequired = append(goRequired, jsonName)
			}
			p, ok := props[jsonName]
			if !ok {
				t.Errorf("%s: no property %s", name, jsonName)
				continue
			}
			checkRef(t, name+"."+jsonName, p, f.Type)
		}
		for p := range props {
			if !slices.Contains(goNames, p) {
				t.Errorf("%s: property %s is not in the Go type", name, p)
			}
		}
		required := strs(at(t, s, "required").([]any))
		open := at(t, s, "additionalProperties")
		if name == "Problem" {
			// RFC 9457: every member optional, extensions allowed.
			if len(required) != 0 || open != true {
				t.Errorf("Problem: required %v, additionalProperties %v", required, open)
			}
			continue
		}
		slices.Sort(required)
		slices.Sort(goRequired)
		if !slices.Equal(required, goRequired) {
			t.Errorf("%s: required %v, Go requires %v", name, required, goRequired)
		}
		if open != false {
			t.Errorf("%s: additionalProperties %v, want false", name, open)
		}
	}
	// Every $ref in the document resolves.
	_, text := openAPI(t)
	for _, m := range regexp.MustCompile(`"\$ref": "#/components/(\w+)/(\w+)"`).FindAllStringSubmatch(text, -1) {
		at(t, doc, "components", m[1], m[2])
	}
}

// checkRef checks that a property of a struct, enum or list type refers
// to the schema named after its Go type.
func checkRef(t *testing.T, where string, prop any, typ reflect.Type) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ.Kind() == reflect.Slice {
		checkRef(t, where+"[]", at(t, prop, "items"), typ.Elem())
		return
	}
	if _, ok := schemaTypes[typ.Name()]; !ok || typ.PkgPath() != reflect.TypeFor[Event]().PkgPath() {
		return // a plain string, number, bool or time: checked by limits
	}
	if got := at(t, prop, "$ref"); got != "#/components/schemas/"+typ.Name() {
		t.Errorf("%s refers to %v, want the %s schema", where, got, typ.Name())
	}
}

func strs[T any](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprint(x)
	}
	return out
}

// TestOpenAPILimits checks that the document states the package's limits.
func TestOpenAPILimits(t *testing.T) {
	doc, text := openAPI(t)
	s := at(t, doc, "components", "schemas")
	tests := []struct {
		path []string
		want float64
	}{
		{[]string{"InboxPage", "properties", "events", "maxItems"}, MaxInboxLimit},
		{[]string{"OutboxBatch", "properties", "items", "maxItems"}, MaxOutboxItems},
		{[]string{"OutboxBatch", "properties", "items", "minItems"}, 1},
		{[]string{"OutboxBatch2", "properties", "items", "maxItems"}, MaxOutboxItems},
		{[]string{"OutboxBatch2", "properties", "items", "minItems"}, 1},
		{[]string{"OutboxBatch2", "properties", "staff", "maxItems"}, MaxOutboxItems},
		{[]string{"HSAID", "maxLength"}, MaxHSAIDLen},
		{[]string{"OutboxResult", "properties", "results", "maxItems"}, MaxOutboxItems},
		{[]string{"FormSet", "properties", "forms", "maxItems"}, MaxForms},
		{[]string{"ServiceSet", "properties", "services", "maxItems"}, MaxForms},
		{[]string{"PublishedService", "properties", "answerDays", "maximum"}, MaxAnswerDays},
		{[]string{"Form", "properties", "fields", "maxItems"}, MaxFormFields},
		{[]string{"FormField", "properties", "options", "maxItems"}, MaxOptions},
		{[]string{"NewCase", "properties", "fields", "maxItems"}, MaxFields},
		{[]string{"NewCase", "properties", "text", "maxLength"}, MaxTextLen},
		{[]string{"PatientMessage", "properties", "text", "maxLength"}, MaxTextLen},
		{[]string{"StaffMessage", "properties", "text", "maxLength"}, MaxTextLen},
		{[]string{"StaffMessage", "properties", "signature", "maxLength"}, MaxSignatureLen},
		{[]string{"StaffMessage", "properties", "authorTitle", "maxLength"}, MaxLabelLen},
		{[]string{"InitiatedCase", "properties", "subject", "maxLength"}, MaxLabelLen},
		{[]string{"InitiatedCase", "properties", "patientName", "maxLength"}, MaxNameLen},
		{[]string{"Field", "properties", "value", "maxLength"}, MaxFieldValueLen},
		{[]string{"Field", "properties", "label", "maxLength"}, MaxLabelLen},
		{[]string{"Person", "properties", "name", "maxLength"}, MaxNameLen},
		{[]string{"Token", "maxLength"}, MaxIDLen},
		{[]string{"TypeName", "maxLength"}, MaxIDLen},
		{[]string{"CaseID", "maxLength"}, CaseIDLen},
		{[]string{"CaseID", "minLength"}, CaseIDLen},
		{[]string{"PNR", "maxLength"}, PNRLen},
		{[]string{"Seq", "minimum"}, 1},
		{[]string{"Seq", "maximum"}, MaxSeq},
		{[]string{"Cursor", "maximum"}, MaxSeq},
		{[]string{"Form", "properties", "version", "maximum"}, MaxFormVersion},
		{[]string{"NewCase", "properties", "formVersion", "maximum"}, MaxFormVersion},
		{[]string{"Problem", "properties", "title", "maxLength"}, MaxProblemTitleLen},
		{[]string{"Problem", "properties", "detail", "maxLength"}, MaxProblemDetailLen},
		{[]string{"Problem", "properties", "type", "maxLength"}, MaxURILen},
		{[]string{"Problem", "properties", "instance", "maxLength"}, MaxURILen},
	}
	for _, tc := range tests {
		if got := at(t, s, tc.path...); got != tc.want {
			t.Errorf("%s = %v, want %v", strings.Join(tc.path, "."), got, tc.want)
		}
	}
	inbox := at(t, doc, "paths", PathInbox, "get", "parameters").([]any)
	for _, p := range inbox {
		switch at(t, p, "name") {
		case QueryAfter:
			if at(t, p, "schema", "maximum") != float64(MaxSeq) {
				t.Error("after: maximum is not MaxSeq")
			}
		case QueryLimit:
			if at(t, p, "schema", "maximum") != float64(MaxInboxLimit) || at(t, p, "schema", "default") != float64(DefaultInboxLimit) {
				t.Error("limit: maximum or default differs")
			}
		default:
			t.Errorf("unknown inbox parameter %v", at(t, p, "name"))
		}
	}
	// The Problem schema lists every type with its status, as "type (status)".
	problemDoc := at(t, s, "Problem", "description").(string)
	for _, p := range constructedProblems() {
		if want := fmt.Sprintf("%s (%d)", p.Type, p.Status); !strings.Contains(problemDoc, want) {
			t.Errorf("openapi.json's Problem schema does not list %s", want)
		}
	}
	for _, limit := range []string{"8 MiB", "64 KiB", "4 KiB", "15 s"} {
		if !strings.Contains(text, limit) {
			t.Errorf("openapi.json does not state %s", limit)
		}
	}
	if MaxBodyBytes != 8<<20 || MaxAckBytes != 64<<10 || MaxStreamMessageBytes != 4<<10 || StreamPingInterval.Seconds() != 15 {
		t.Error("a byte limit or the ping interval changed: update openapi.json's text and this test")
	}
}

// TestOpenAPIPatterns checks the document's patterns against the Go
// validators on the same strings. The document's patterns are ECMA-262;
// \uXXXX is rewritten to RE2's \x{XXXX}.
func TestOpenAPIPatterns(t *testing.T) {
	doc, _ := openAPI(t)
	s := at(t, doc, "components", "schemas")
	compile := func(path ...string) *regexp.Regexp {
		p := at(t, s, path...).(string)
		p = regexp.MustCompile(`\\u([0-9a-fA-F]{4})`).ReplaceAllString(p, `\x{$1}`)
		return regexp.MustCompile(p)
	}
	tests := []struct {
		name    string
		re      *regexp.Regexp
		goCheck func(string) error
		samples []string
	}{
		{"Token", compile("Token", "pattern"), func(s string) error { return checkToken("", s) },
			[]string{"a", "A.b_c-9", token(MaxIDLen), token(MaxIDLen + 1), "", "a b", "å", "a/b", "a+b", "a\n"}},
		{"CaseID", compile("CaseID", "pattern"), func(s string) error { return checkCaseID("", s) },
			[]string{caseID1, caseID2, "7zzzzzzzzzzzzzzzzzzzzzzzzz", "8zzzzzzzzzzzzzzzzzzzzzzzzz", strings.ToUpper(caseID1), caseID1[:25], caseID1 + "0",
				"01jbq3z6m0a8vcs9fkd2x7gq4i", "01jbq3z6m0a8vcs9fkd2x7gq4l", "01jbq3z6m0a8vcs9fkd2x7gq4o", "01jbq3z6m0a8vcs9fkd2x7gq4u"}},
		{"TypeName", compile("TypeName", "pattern"), func(s string) error { return checkTypeName("", s) },
			[]string{"renew-prescription", "a", "9-x", "-x", "A", "a_b", "a.b", strings.Repeat("a", MaxIDLen), strings.Repeat("a", MaxIDLen+1), ""}},
		{"PNR", compile("PNR", "pattern"), func(s string) error { return checkPNR("", s) },
			[]string{pnrAdult, pnrAdult[2:], pnrAdult + "0", "19800101-9804", "19800101980X", ""}},
		{"single line", compile("Person", "properties", "name", "pattern"), func(s string) error { return checkLine("", s, 1000, false) },
			[]string{"Testa Testsson", "Å–😀", "a\tb", "a\nb", "a\x00", "a\x7f", "a\u0085", "a\u009f", "a\u00a0b", "a\u2028", "a\u2029", "a\u200e"}},
		{"multi-line", compile("NewCase", "properties", "text", "pattern"), func(s string) error { return checkMultiline("", s, 1000, false) },
			[]string{"a\nb", "a\r\nb", "a\tb", "a\x0bb", "a\x0cb", "a\x00", "a\x1b", "a\x7f", "a\u0085", "a\u2028", "Å–😀"}},
		{"HSAID", compile("HSAID", "pattern"), func(s string) error { return checkHSAID("", s, true) },
			[]string{"SE2321000016-C001", "SE162321000016-x9", "SE232100001612-x9", "SE2321000016-" + strings.Repeat("a", MaxHSAIDLen-13), "SE2321000016-" + strings.Repeat("a", MaxHSAIDLen-12),
				"", "se2321000016-C001", "SE232100001-C001", "SE2321000016-", "SE2321000016-C 1", "SE2321000016-Å", "system", "SE2321000016-C001\n"}},
		{"problem type", compile("Problem", "properties", "type", "pattern"), func(s string) error { return checkURIRef("", s, true) },
			[]string{"about:blank", ProblemConflict, "/x?y=1#z", "a b", "å", "\x7f", ""}},
	}
	for _, tc := range tests {
		for _, sample := range tc.samples {
			doc := tc.re.MatchString(sample)
			if max := at(t, s, schemaOf(tc.name)...); max != nil {
				doc = doc && float64(len([]rune(sample))) <= max.(float64)
			}
			goOK := tc.goCheck(sample) == nil
			if doc != goOK {
				t.Errorf("%s %q: openapi.json says %v, Go says %v", tc.name, sample, doc, goOK)
			}
		}
	}
}

// schemaOf returns the path of a pattern's maxLength where the length is
// checked beside the pattern, or nil-ish paths for free-length patterns.
func schemaOf(name string) []string {
	switch name {
	case "Token", "CaseID", "TypeName", "PNR", "HSAID":
		return []string{name, "maxLength"}
	case "problem type":
		return []string{"Problem", "properties", "type", "maxLength"}
	}
	return []string{"Person", "properties", "name", "maxLength"} // 200 ≥ every sample
}
