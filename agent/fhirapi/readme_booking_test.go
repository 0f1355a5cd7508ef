package fhirapi_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readmeJSON returns the README's json blocks that follow a line
// starting with the given words.
func readmeJSON(t *testing.T, after string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	i := strings.Index(s, "\n"+after)
	if i < 0 {
		t.Fatalf("README: no paragraph starting %q", after)
	}
	j := strings.Index(s[i:], "```json\n")
	k := strings.Index(s[i+j+8:], "```")
	if j < 0 || k < 0 {
		t.Fatalf("README: no json block after %q", after)
	}
	return []byte(s[i+j+8 : i+j+8+k])
}

// TestReadmeBookingExamples: the README's book.json and cancel.json
// validate with the outside validator, and, with a real Slot id and a
// synthetic personnummer in place of the README's, book and cancel.
func TestReadmeBookingExamples(t *testing.T) {
	book := readmeJSON(t, "`book.json`")
	cancel := readmeJSON(t, "`cancel.json`")
	validate(t, "readme-book", book)
	validate(t, "readme-cancel", cancel)
	f := newFixture(t, 0, 6000, withDiary)
	r := f.curl("booker", "/Slot?status=free&_count=1")
	slot := entries(t, r.decode(t))[0]["id"].(string)
	var body, params map[string]any
	b := strings.Replace(strings.Replace(string(book), "sk3h2w7ztq5mxn4ab-ttpb280", slot, 1), "191212121212", string(f.adult), 1)
	if err := json.Unmarshal([]byte(b), &body); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(cancel, &params); err != nil {
		t.Fatal(err)
	}
	r = f.post("booker", "/Appointment", body)
	if r.status != 201 {
		t.Fatalf("the README's booking: %d %s", r.status, r.body)
	}
	id := r.decode(t)["id"].(string)
	// A retry with the same identifier answers the booking made.
	if again := f.post("booker", "/Appointment", body); again.status != 200 || again.decode(t)["id"] != id {
		t.Fatalf("the README's booking again: %d %s", again.status, again.body)
	}
	if r := f.post("booker", "/Appointment/"+id+"/$cancel", params); r.status != 200 {
		t.Fatalf("the README's cancellation: %d %s", r.status, r.body)
	}
}
