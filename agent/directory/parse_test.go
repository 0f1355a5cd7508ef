package directory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// canary stands for a name or a personnummer put where it does not
// belong: no error may repeat it.
const canary = "Kanarieström"

func readSample(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/directory.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sample(t testing.TB) *Directory {
	t.Helper()
	d, err := Parse(bytes.NewReader(readSample(t)))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// sampleFile is the sample as a File, to change and write again.
func sampleFile(t testing.TB) File {
	t.Helper()
	var f File
	if err := json.Unmarshal(readSample(t), &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func marshal(t testing.TB, f File) []byte {
	t.Helper()
	b, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// personal lists every name, e-mail address and phone number in the
// sample: none may reach a log or an error.
func personal(t testing.TB) []string {
	var out []string
	for _, p := range sampleFile(t).People {
		out = append(out, p.GivenName, p.Surname)
		if p.Email != "" {
			out = append(out, p.Email, strings.Split(p.Email, "@")[0])
		}
		if p.Mobile != "" {
			out = append(out, p.Mobile)
		}
	}
	return append(out, canary)
}

func TestParseSample(t *testing.T) {
	d := sample(t)
	if d.Len() != 10 {
		t.Fatalf("%d people, want 10", d.Len())
	}
	p, ok := d.Lookup("SE2321000016-1002")
	if !ok || p.Name() != "Bertil Berg" || p.Title != "Läkare" || len(p.Commissions) != 1 || p.Commissions[0].ValidTo.String() != "2026-12-31" {
		t.Errorf("Lookup = %+v, %v", p, ok)
	}
	if _, ok := d.Lookup("SE2321000016-9999"); ok {
		t.Error("Lookup found someone not in the file")
	}
}

func TestParseRefuses(t *testing.T) {
	const anna = `{"hsaId": "SE2321000016-1001", "givenName": "Anna", "surname": "Andersson", "title": "Sjuksköterska", "roles": ["clinician"],
		"commissions": [{"unit": "SE2321000016-E001", "purpose": "Vård och behandling", "validFrom": "2026-05-01", "validTo": "2026-12-31"}],
		"leave": [{"from": "2026-07-01", "to": "2026-07-31"}]}`
	// with is the file holding anna changed by the replacements (old, new, ...).
	with := func(repl ...string) string {
		return `{"version": 1, "people": [` + strings.NewReplacer(repl...).Replace(anna) + `]}`
	}
	many := strings.Repeat(strings.Replace(anna, `"clinician"`, `"surgeon"`, 1)+",", 12)
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"cut off", `{"version": 1, "people": [`, []string{"ends too early"}},
		{"not JSON", `{"version": 1, people: []}`, []string{"syntax error at byte 16"}},
		{"unknown top member", `{"version": 1, "people": [` + anna + `], "extra": 1}`, []string{`unknown member "extra"`}},
		{"unknown member in an entry", with(`"title"`, `"nickname": "x", "title"`), []string{`people[0] (SE2321000016-1001): unknown member "nickname"`}},
		{"member name not shown when odd", with(`"title"`, `"`+canary+` 19121212-1212": 1, "title"`), []string{"people[0] (SE2321000016-1001): unknown member (a member whose name is not shown)"}},
		{"wrong version", `{"version": 2, "people": [` + anna + `]}`, []string{"version 2", "reads version 1"}},
		{"no version", `{"people": [` + anna + `]}`, []string{`no "version"`}},
		{"version as text", `{"version": "1", "people": []}`, []string{"version: expected a whole number"}},
		{"no people", `{"version": 1}`, []string{`"people" is missing or empty`}},
		{"empty people", `{"version": 1, "people": []}`, []string{`"people" is missing or empty`}},
		{"people not a list", `{"version": 1, "people": {}}`, []string{"people: expected a list"}},
		{"entry not an object", `{"version": 1, "people": ["` + canary + `"]}`, []string{"people[0] (no HSA-ID): the entry: expected an object"}},
		{"trailing data", `{"version": 1, "people": [` + anna + `]} {}`, []string{"more data after the JSON object"}},
		{"duplicate", `{"version": 1, "people": [` + anna + `,` + anna + `]}`, []string{"people[1] (SE2321000016-1001): the HSA-ID is listed twice"}},
		{"name as HSA-ID", with(`"SE2321000016-1001"`, `"`+canary+` 19121212-1212"`), []string{"people[0] (malformed HSA-ID): hsaId: not an HSA-ID"}},
		{"no HSA-ID", with(`"hsaId": "SE2321000016-1001", `, ``), []string{"people[0] (no HSA-ID): hsaId: not an HSA-ID"}},
		{"HSA-ID as number", with(`"SE2321000016-1001"`, `46`), []string{"people[0] (no HSA-ID): hsaId: expected text"}},
		{"unknown role", with(`"clinician"`, `"surgeon"`), []string{`people[0] (SE2321000016-1001): roles[0]: unknown role "surgeon"`}},
		{"name as role", with(`"clinician"`, `"`+canary+`"`), []string{"roles[0]: unknown role (not shown)"}},
		{"no role", with(`["clinician"]`, `[]`), []string{"roles: expected at least one of [distributor clinician unit-admin auditor]"}},
		{"roles not a list", with(`["clinician"]`, `"clinician"`), []string{"people[0] (SE2321000016-1001): roles: expected a list"}},
		{"no surname", with(`"surname": "Andersson", `, ``), []string{"surname: expected one line"}},
		{"multi-line name", with(`"Anna"`, `"Anna\nforged log line"`), []string{"givenName: expected one line"}},
		{"bidi override in a name", with(`"Andersson"`, `"Andersson\u202e"`), []string{"surname: expected one line"}},
		{"title is an HSA-ID", with(`"Sjuksköterska"`, `"SE2321000016-1001"`), []string{"title: expected a title"}},
		{"bad e-mail", with(`"title"`, `"email": "`+canary+`", "title"`), []string{"email: not an e-mail address"}},
		{"bad mobile", with(`"title"`, `"mobile": "`+canary+`", "title"`), []string{"mobile: expected a phone number"}},
		{"name as unit", with(`"SE2321000016-E001"`, `"`+canary+`"`), []string{"commissions[0].unit: the care unit's not an HSA-ID"}},
		{"no purpose", with(`"Vård och behandling"`, `""`), []string{"commissions[0].purpose: expected one line"}},
		{"name as date", with(`"2026-05-01"`, `"`+canary+`"`), []string{`people[0] (SE2321000016-1001): commissions[0].validFrom: expected a date as "YYYY-MM-DD"`}},
		{"date as number", with(`"2026-12-31"`, `20261231`), []string{`commissions[0].validTo: expected a date as "YYYY-MM-DD"`}},
		{"date with time", with(`"2026-12-31"`, `"2026-12-31T00:00:00Z"`), []string{`commissions[0].validTo: expected a date`}},
		{"no validFrom", with(`"validFrom": "2026-05-01", `, ``), []string{"commissions[0].validFrom: missing"}},
		{"year 0001", with(`"2026-05-01"`, `"0001-01-01"`), []string{"commissions[0].validFrom: a year before 1900"}},
		{"validTo before validFrom", with(`"2026-12-31"`, `"2026-04-30"`), []string{"commissions[0]: validTo is before validFrom"}},
		{"leave to before from", with(`"2026-07-31"`, `"2026-06-30"`), []string{"leave[0]: to is before from"}},
		{"leave without to", with(`, "to": "2026-07-31"`, ``), []string{"leave[0].to: missing"}},
		{"unknown member in a commission", with(`"purpose"`, `"scope": 1, "purpose"`), []string{`people[0] (SE2321000016-1001): unknown member "scope"`}},
		{"several problems in one entry", with(`"clinician"`, `"surgeon"`, `"2026-05-01"`, `"maj"`), []string{"unknown role", "validFrom: expected a date"}},
		{"at most ten listed", `{"version": 1, "people": [` + many + anna + `]}`, []string{"people[9]", "and more"}},
		{"not UTF-8", "{\"version\": 1, \"people\": [\xff]}", []string{"not UTF-8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.file))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, s := range []string{canary, "Andersson", "Anna", "19121212", "forged"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error repeats %q from the file: %v", s, err)
				}
			}
		})
	}
	if _, err := Parse(bytes.NewReader(make([]byte, MaxFileSize+1))); err == nil || !strings.Contains(err.Error(), "larger than 16 MiB") {
		t.Errorf("oversize: %v", err)
	}
	if _, err := Parse(strings.NewReader(with())); err != nil {
		t.Errorf("the unchanged entry is refused: %v", err)
	}
}

// FuzzParse: Parse never panics, and what it accepts it writes back
// unchanged: the parsed directory, marshalled and parsed again, is the same.
func FuzzParse(f *testing.F) {
	f.Add(readSample(f))
	f.Add([]byte(`{"version":1,"people":[{"hsaId":"SE2321000016-1","givenName":"A","surname":"B","title":"C","roles":["auditor"],"commissions":[]}]}`))
	f.Add([]byte(`{"version":1,"people":[{"hsaId":"SE2321000016-1","givenName":"A","surname":"B","title":"C","roles":["auditor"],"commissions":[{"unit":"SE2321000016-E1","purpose":"x","validFrom":"2026-03-29","validTo":"2026-03-29"}],"leave":[{"from":"2026-10-25","to":"2026-10-25"}]}]}`))
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		first := marshal(t, File{Version: Version, People: d.People()})
		d2, err := Parse(bytes.NewReader(first))
		if err != nil {
			t.Fatalf("an accepted directory, written back, is refused: %v", err)
		}
		if again := marshal(t, File{Version: Version, People: d2.People()}); !bytes.Equal(first, again) {
			t.Fatalf("written back differently:\n%s\n%s", first, again)
		}
		for _, p := range d.People() {
			if _, ok := d.Lookup(p.HSAID); !ok {
				t.Fatal("a parsed person cannot be looked up")
			}
			for _, c := range p.Commissions {
				if _, err := d.Access(p.HSAID, c.Unit, now); err != nil && err != ErrNoCommission {
					t.Fatalf("Access: %v", err)
				}
			}
		}
	})
}

// fileOf is a directory of n people with two commissions each.
func fileOf(n int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"version":1,"people":[`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"hsaId":"SE2321000016-P%05d","givenName":"Test","surname":"Person%d","title":"Sjuksköterska","email":"p%d@example.invalid","mobile":"+467000%05d","roles":["clinician"],`+
			`"commissions":[{"unit":"SE2321000016-E002","purpose":"Administration","validFrom":"2025-01-01"},{"unit":"%s","purpose":"Vård och behandling","validFrom":"2025-01-01","validTo":"2027-12-31"}],`+
			`"leave":[{"from":"2026-07-01","to":"2026-07-31"}]}`, i, i, i, i, unit)
	}
	sb.WriteString(`]}`)
	return []byte(sb.String())
}

func BenchmarkParse5000(b *testing.B) {
	data := fileOf(5000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
