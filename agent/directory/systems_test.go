package directory_test

import (
	"strings"
	"testing"

	"clinicgw/agent/directory"
)

const onePerson = `{"hsaId": "SE2321000016-1001", "givenName": "Test", "surname": "Testsson", "title": "Läkare",
  "roles": ["clinician"], "commissions": [{"unit": "SE2321000016-E001", "purpose": "Vård och behandling", "validFrom": "2026-01-01"}]}`

// TestSystemsSection: the optional systems section names the systems
// that may call the integration API and what each may do; a bad entry
// refuses the whole file, naming the entry by number and HSA-ID only.
func TestSystemsSection(t *testing.T) {
	file := func(systems string) string {
		return `{"version": 1, "people": [` + onePerson + `], "systems": [` + systems + `]}`
	}
	d, err := directory.Parse(strings.NewReader(file(`{"hsaId": "SE2321000016-9001", "name": "Journalsystemet", "may": ["read-cases", "bookings"]}`)))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := d.System("SE2321000016-9001")
	if !ok || !s.Allows(directory.ReadCases) || !s.Allows(directory.Bookings) || s.Allows(directory.WriteMessages) {
		t.Errorf("system %+v %v", s, ok)
	}
	if _, ok := d.System("SE2321000016-1001"); ok {
		t.Error("a person is a system")
	}
	if _, ok := d.Lookup("SE2321000016-9001"); ok {
		t.Error("a system is a person")
	}
	noSystems, err := directory.Parse(strings.NewReader(`{"version": 1, "people": [` + onePerson + `]}`))
	if err != nil || len(noSystems.Systems()) != 0 {
		t.Errorf("a file without systems: %v, %d", err, len(noSystems.Systems()))
	}
	for name, c := range map[string]struct{ systems, want string }{
		"malformed HSA-ID":   {`{"hsaId": "198005179806", "name": "X", "may": ["read-cases"]}`, "systems[0] (malformed HSA-ID): hsaId"},
		"unknown permission": {`{"hsaId": "SE2321000016-9001", "name": "X", "may": ["root"]}`, "systems[0] (SE2321000016-9001): may[0]: unknown permission"},
		"no permission":      {`{"hsaId": "SE2321000016-9001", "name": "X", "may": []}`, "may: expected at least one"},
		"no name":            {`{"hsaId": "SE2321000016-9001", "name": " ", "may": ["read-cases"]}`, "name: expected one line"},
		"twice": {`{"hsaId": "SE2321000016-9001", "name": "X", "may": ["read-cases"]}, {"hsaId": "SE2321000016-9001", "name": "Y", "may": ["read-cases"]}`,
			"systems[1] (SE2321000016-9001): the HSA-ID is listed twice"},
		"a person's HSA-ID": {`{"hsaId": "SE2321000016-1001", "name": "X", "may": ["read-cases"]}`, "also a person's"},
		"unknown member":    {`{"hsaId": "SE2321000016-9001", "name": "X", "may": ["read-cases"], "token": "x"}`, "unknown member"},
	} {
		_, err := directory.Parse(strings.NewReader(file(c.systems)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "198005179806") {
			t.Errorf("%s: the error repeats a value: %v", name, err)
		}
	}
}

// TestSystemWrites: a system that writes to patients may be let start a
// case with a patient the unit has no case with (start-relationship,
// only beside write-messages) and carries the signature its messages
// are sent with (one to five lines; its name when left out).
func TestSystemWrites(t *testing.T) {
	file := func(systems string) string {
		return `{"version": 1, "people": [` + onePerson + `], "systems": [` + systems + `]}`
	}
	d, err := directory.Parse(strings.NewReader(file(`{"hsaId": "SE2321000016-9003", "name": "Kvalitetsregistret",
	  "may": ["write-messages", "start-relationship"], "signature": "Kvalitetsregistret\nVårdcentralen Test"},
	 {"hsaId": "SE2321000016-9001", "name": "Journalsystemet", "may": ["write-messages"]}`)))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := d.System("SE2321000016-9003")
	if !s.Allows(directory.StartRelationship) || s.MessageSignature() != "Kvalitetsregistret\nVårdcentralen Test" {
		t.Errorf("system %+v", s)
	}
	if j, _ := d.System("SE2321000016-9001"); j.Allows(directory.StartRelationship) || j.MessageSignature() != "Journalsystemet" {
		t.Errorf("system %+v: signature %q", j, j.MessageSignature())
	}
	for name, c := range map[string]struct{ systems, want string }{
		"start without write":  {`{"hsaId": "SE2321000016-9001", "name": "X", "may": ["read-cases", "start-relationship"]}`, "start-relationship needs write-messages"},
		"long signature":       {`{"hsaId": "SE2321000016-9001", "name": "X", "may": ["write-messages"], "signature": "` + strings.Repeat("a", 501) + `"}`, "signature:"},
		"signature of 6 lines": {`{"hsaId": "SE2321000016-9001", "name": "X", "may": ["write-messages"], "signature": "a\nb\nc\nd\ne\nf"}`, "signature:"},
	} {
		if _, err := directory.Parse(strings.NewReader(file(c.systems))); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}
