package fhirapi_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// readmeAPI is the README's section on the integration API.
func readmeAPI(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "## Integration API (FHIR R4)")
	if i < 0 {
		t.Fatal("the README has no Integration API section")
	}
	s = s[i:]
	if j := strings.Index(s[3:], "\n## "); j >= 0 {
		s = s[:j+3]
	}
	return s
}

var (
	readmeResource = regexp.MustCompile("(?s)```json\n(\\{\"resourceType\": \"Communication\".*?)\n```")
	readmePatch    = regexp.MustCompile(`-X PATCH .*--data '([^']*)'`)
)

// TestReadmeWriteExamples: the README's write examples are valid FHIR
// (the outside validator) and do what the README says against the API:
// the answer on a case and the start of a case are sent (201), the patch
// marks the answered case handled with the reference.
func TestReadmeWriteExamples(t *testing.T) {
	f := newFixture(t, 1, 600)
	f.writeDirectory(false)
	sec := readmeAPI(t)
	found := readmeResource.FindAllStringSubmatch(sec, -1)
	if len(found) != 2 {
		t.Fatalf("the README's API section has %d Communication examples, want 2 (answer.json, start.json)", len(found))
	}
	id := string(f.cases[0].ID)
	for i, m := range found {
		body := strings.ReplaceAll(m[1], "<case id>", id)
		body = strings.ReplaceAll(body, "191212121212", string(f.adult)) // a patient the unit knows
		validate(t, "readme-example", []byte(body))
		r := f.postRaw("record", "/Communication", body)
		if r.status != 201 {
			t.Errorf("README example %d: %d %s", i+1, r.status, r.body)
		}
	}
	p := readmePatch.FindStringSubmatch(sec)
	if p == nil {
		t.Fatal("the README's API section has no PATCH example")
	}
	r := f.patch("record", "/Task/"+id, p[1])
	if r.status != 200 || !strings.Contains(string(r.body), `"closed"`) || !strings.Contains(string(r.body), "anteckning-4711") {
		t.Errorf("the README's PATCH: %d %s", r.status, r.body)
	}
}
