package fhirapi_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"clinicgw/agent/cases"
	"clinicgw/agent/directory"
)

// TestMetadataOverMTLS: /metadata is a CapabilityStatement listing
// exactly the resource types served, and a system's curl gets it.
func TestMetadataOverMTLS(t *testing.T) {
	f := newFixture(t, 0, 600)
	r := f.curl("record", "/metadata")
	if r.status != 200 || !strings.Contains(r.header, "application/fhir+json") {
		t.Fatalf("metadata: %d %s\n%s", r.status, r.header, r.body)
	}
	m := r.decode(t)
	if m["resourceType"] != "CapabilityStatement" || m["fhirVersion"] != "4.0.1" {
		t.Fatalf("metadata: %s", r.body)
	}
	var types []string
	for _, res := range m["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
		types = append(types, res.(map[string]any)["type"].(string))
	}
	slices.Sort(types)
	if want := []string{"Communication", "Patient", "Questionnaire", "QuestionnaireResponse", "Task"}; !slices.Equal(types, want) {
		t.Errorf("CapabilityStatement lists %v, want %v", types, want)
	}
	validate(t, "metadata", r.body)
}

// entries are a Bundle's resources.
func entries(t *testing.T, b map[string]any) []map[string]any {
	t.Helper()
	if b["resourceType"] != "Bundle" || b["type"] != "searchset" {
		t.Fatalf("not a searchset: %v", b)
	}
	var out []map[string]any
	es, _ := b["entry"].([]any)
	for _, e := range es {
		out = append(out, e.(map[string]any)["resource"].(map[string]any))
	}
	return out
}

// link is a Bundle's link of relation rel, "" if none.
func link(b map[string]any, rel string) string {
	ls, _ := b["link"].([]any)
	for _, l := range ls {
		if l.(map[string]any)["relation"] == rel {
			return l.(map[string]any)["url"].(string)
		}
	}
	return ""
}

// TestTaskSearchOverMTLS: searches by status, owner and service, and pages
// through all cases by the next links.
func TestTaskSearchOverMTLS(t *testing.T) {
	f := newFixture(t, 7, 600)
	r := f.curl("record", "/Task?status=requested")
	if r.status != 200 {
		t.Fatalf("search: %d %s", r.status, r.body)
	}
	validate(t, "search-status", r.body)
	for _, e := range entries(t, r.decode(t)) {
		if e["status"] != "requested" || e["owner"] != nil {
			t.Errorf("status=requested found %v (owner %v)", e["status"], e["owner"])
		}
	}
	r = f.curl("record", "/Task?owner:identifier="+url.QueryEscape("urn:oid:1.2.752.29.4.19|"+clinician))
	got := entries(t, r.decode(t))
	if len(got) != 3 { // cases 1, 3, 5 were assigned
		t.Errorf("owner search: %d tasks, want 3: %s", len(got), r.body)
	}
	for _, e := range got {
		owner := e["owner"].(map[string]any)["identifier"].(map[string]any)
		if owner["value"] != clinician || owner["system"] != "urn:oid:1.2.752.29.4.19" {
			t.Errorf("owner: %v", owner)
		}
	}
	r = f.curl("record", "/Task?code=urn:clinicgw:case-type|renew-prescription") // as the README writes it
	got = entries(t, r.decode(t))
	if len(got) != 2 { // cases 1 and 4
		t.Errorf("code search: %d tasks, want 2", len(got))
	}
	for _, e := range got {
		c := e["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)
		if c["code"] != "renew-prescription" || c["display"] == "" || c["display"] == nil {
			t.Errorf("code: %v", c)
		}
	}
	// Paging: 3 at a time, following next, every case once, oldest first.
	var seen []string
	path := "/Task?_count=3"
	for range 10 {
		r = f.curl("record", path)
		if r.status != 200 {
			t.Fatalf("page %s: %d %s", path, r.status, r.body)
		}
		b := r.decode(t)
		for _, e := range entries(t, b) {
			seen = append(seen, e["id"].(string))
		}
		next := link(b, "next")
		if next == "" {
			break
		}
		path = strings.TrimPrefix(next, f.url)
	}
	var want []string
	for _, c := range f.cases {
		want = append(want, string(c.ID))
	}
	if !slices.Equal(seen, want) {
		t.Errorf("paging saw %v, want %v", seen, want)
	}
	// _lastUpdated: the clock moved a minute per case.
	since := f.cases[5].ReceivedAt.UTC().Format("2006-01-02T15:04:05Z")
	r = f.curl("record", "/Task?_lastUpdated=ge"+since)
	if got := entries(t, r.decode(t)); len(got) != 2 {
		t.Errorf("_lastUpdated=ge%s: %d tasks, want 2", since, len(got))
	}
}

// TestPatientSearchOnlyByPost: a search by personnummer works in a POST
// body, and no link of the answer carries the personnummer.
func TestPatientSearchOnlyByPost(t *testing.T) {
	f := newFixture(t, 4, 600)
	body := "patient:identifier=" + url.QueryEscape("urn:oid:1.2.752.129.2.1.3.1|"+string(f.adult))
	r := f.curl("record", "/Task/_search", "-X", "POST", "-H", "Content-Type: application/x-www-form-urlencoded", "--data", body)
	if r.status != 200 {
		t.Fatalf("POST _search: %d %s", r.status, r.body)
	}
	validate(t, "search-patient", r.body)
	b := r.decode(t)
	want := 4
	if f.coord != "" {
		want = 3
	}
	if got := entries(t, b); len(got) != want {
		t.Errorf("patient search: %d tasks, want %d", len(got), want)
	}
	for _, l := range b["link"].([]any) {
		if u := l.(map[string]any)["url"].(string); strings.Contains(u, string(f.adult)) || strings.Contains(u, f.adult.String()) {
			t.Errorf("a link carries the personnummer: %s", u)
		}
	}
}

// TestReadsOverMTLS: a case as Task, its answers, its form, its messages
// and its patient, each valid FHIR R4.
func TestReadsOverMTLS(t *testing.T) {
	f := newFixture(t, 4, 600)
	answered := string(f.cases[3].ID)
	for _, p := range []struct{ path, typ string }{
		{"/Task/" + answered, "Task"},
		{"/QuestionnaireResponse/" + answered, "QuestionnaireResponse"},
		{"/Questionnaire/advice-nurse", "Questionnaire"},
		{"/Communication?part-of=Task/" + answered, "Bundle"},
		{"/Communication/" + answered + "-1", "Communication"},
		{"/Patient/" + answered, "Patient"},
		{"/Patient/" + string(f.cases[2].ID), "Patient"},
	} {
		r := f.curl("record", p.path)
		if r.status != 200 {
			t.Errorf("%s: %d %s", p.path, r.status, r.body)
			continue
		}
		if m := r.decode(t); m["resourceType"] != p.typ {
			t.Errorf("%s: a %v, want %s", p.path, m["resourceType"], p.typ)
		}
		validate(t, strings.ReplaceAll(strings.Trim(p.path, "/"), "/", "_"), r.body)
	}
	task := f.curl("record", "/Task/"+answered).decode(t)
	if task["status"] != "completed" {
		t.Errorf("an answered case is Task.status %v, want completed", task["status"])
	}
	open := f.curl("record", "/Task/"+string(f.cases[1].ID)).decode(t)
	if open["status"] != "accepted" || open["restriction"] == nil {
		t.Errorf("an assigned open case: status %v, restriction %v", open["status"], open["restriction"])
	}
	if f.coord != "" {
		p := f.curl("record", "/Patient/"+string(f.cases[2].ID)).decode(t)
		if sys := p["identifier"].([]any)[0].(map[string]any)["system"]; sys != "urn:oid:1.2.752.129.2.1.3.3" {
			t.Errorf("samordningsnummer's system %v", sys)
		}
	}
	comms := entries(t, f.curl("record", "/Communication?part-of=Task/"+answered).decode(t))
	if len(comms) != 2 {
		t.Errorf("%d messages, want 2 (the patient's and the answer)", len(comms))
	}
}

// TestRefusals: each refusal is a 4xx OperationOutcome.
func TestRefusals(t *testing.T) {
	f := newFixture(t, 2, 600)
	id := string(f.cases[0].ID)
	pnr := string(f.adult)
	for _, c := range []struct {
		name, cert, path string
		extra            []string
		status           int
		code             string
	}{
		{"no client certificate", "", "/Task", nil, 401, "login"},
		{"a person's certificate", "person", "/Task", nil, 403, "security"},
		{"a function certificate not in the directory", "stranger", "/Task", nil, 403, "security"},
		{"a system without the permission", "writer", "/Task/" + id, nil, 403, "forbidden"},
		{"personnummer in the URL", "record", "/Task?identifier=" + url.QueryEscape("urn:oid:1.2.752.129.2.1.3.1|"+pnr), nil, 400, "security"},
		{"patient:identifier in the URL", "record", "/Task?patient:identifier=" + pnr, nil, 400, "security"},
		{"patient identifier in a POST's URL", "record", "/Task/_search?patient:identifier=" + pnr,
			[]string{"-X", "POST", "-H", "Content-Type: application/x-www-form-urlencoded", "--data", ""}, 400, "security"},
		{"a personnummer in another parameter", "record", "/Task?code=" + f.adult.String(), nil, 400, "security"},
		{"a case that is not the unit's", "record", "/Task/01kbz0000000000000000000zz", nil, 404, "not-found"},
		{"a malformed case id", "record", "/Task/..%2f..", nil, 404, "not-found"},
		{"an unknown parameter", "record", "/Task?foo=1", nil, 400, "invalid"},
		{"an unknown status", "record", "/Task?status=draft", nil, 400, "invalid"},
		{"an unknown service", "record", "/Task?code=nope", nil, 400, "invalid"},
		{"a bad cursor", "record", "/Task?_cursor=x", nil, 400, "invalid"},
		{"an unknown resource type", "record", "/Observation", nil, 404, "not-supported"},
		{"a write", "record", "/Task", []string{"-X", "POST", "--data", "{}"}, 405, "not-supported"},
		{"a search form of the wrong type", "record", "/Task/_search", []string{"-X", "POST", "-H", "Content-Type: application/json", "--data", "{}"}, 415, "not-supported"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := f.curl(c.cert, c.path, c.extra...)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			m := r.decode(t)
			if m["resourceType"] != "OperationOutcome" {
				t.Fatalf("not an OperationOutcome: %s", r.body)
			}
			is := m["issue"].([]any)[0].(map[string]any)
			if is["code"] != c.code || is["diagnostics"] == "" {
				t.Errorf("issue %v, want code %s", is, c.code)
			}
			if strings.Contains(string(r.body), pnr) || strings.Contains(string(r.body), f.adult.String()) {
				t.Errorf("the refusal repeats the personnummer: %s", r.body)
			}
			validate(t, "refusal", r.body)
		})
	}
	if strings.Contains(f.logs.String(), pnr) || strings.Contains(f.logs.String(), f.adult.String()) {
		t.Errorf("the technical log holds the personnummer:\n%s", f.logs)
	}
}

// TestSystemsReload: a system taken out of the directory file is refused
// at its next request; one added is let in.
func TestSystemsReload(t *testing.T) {
	f := newFixture(t, 1, 600)
	if r := f.curl("record", "/Task"); r.status != 200 {
		t.Fatalf("before: %d %s", r.status, r.body)
	}
	swapped := strings.Replace(directoryJSON, `"`+record+`"`, `"`+stranger+`"`, 1)
	d, err := directory.Parse(strings.NewReader(swapped))
	if err != nil {
		t.Fatal(err)
	}
	f.dirs.set(d)
	if r := f.curl("record", "/Task"); r.status != 403 {
		t.Errorf("a system taken out: %d, want 403", r.status)
	}
	if r := f.curl("stranger", "/Task"); r.status != 200 {
		t.Errorf("a system added: %d, want 200: %s", r.status, r.body)
	}
}

// TestAccessLogNamesTheSystem: reads and lists by a system are in the
// access log under its HSA-ID, with the patient for a read.
func TestAccessLogNamesTheSystem(t *testing.T) {
	f := newFixture(t, 1, 600)
	f.curl("record", "/Task")
	f.curl("record", "/Task/"+string(f.cases[0].ID))
	f.curl("writer", "/Task/"+string(f.cases[0].ID)) // refused before it reads: not in the log as a read
	recs, err := f.svc.AccessLogByActor(context.Background(), cases.StaffActor(clinician, []string{"auditor"}), record)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.Entry.Action)
		if r.Entry.Action == string(cases.Read) && (r.Entry.CaseID != string(f.cases[0].ID) || r.Entry.Patient != string(f.adult)) {
			t.Errorf("read entry: case %s patient set %v", r.Entry.CaseID, r.Entry.Patient != "")
		}
	}
	slices.Sort(actions)
	if !slices.Equal(actions, []string{"list", "read"}) {
		t.Errorf("the system's access-log entries: %v, want list and read", actions)
	}
}

// TestRateLimitPerSystem: past its burst a system gets 429 with
// Retry-After; another system is not held up; time refills the bucket.
func TestRateLimitPerSystem(t *testing.T) {
	f := newFixture(t, 1, 20) // a burst of 2
	for i := range 2 {
		if r := f.curl("record", "/Task"); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := f.curl("record", "/Task")
	if r.status != 429 || !strings.Contains(strings.ToLower(r.header), "retry-after") {
		t.Fatalf("past the burst: %d %s", r.status, r.header)
	}
	validate(t, "throttled", r.body)
	if r := f.curl("writer", "/Questionnaire/advice-nurse"); r.status != 403 {
		t.Errorf("another system: %d, want its own answer (403: no permission)", r.status)
	}
	f.clock.Advance(3 * 1e9)
	if r := f.curl("record", "/Task"); r.status != 200 {
		t.Errorf("after 3 s: %d, want 200", r.status)
	}
}
