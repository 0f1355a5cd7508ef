package directory

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
)

const unit = "SE2321000016-E001"

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, cases.Stockholm())
	if err != nil {
		panic(err)
	}
	return t
}

func sample(t testing.TB) *Directory {
	t.Helper()
	f, err := os.Open("testdata/directory.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAccess(t *testing.T) {
	d := sample(t)
	now := day("2026-05-04").Add(10 * time.Hour)
	for _, tc := range []struct {
		name string
		id   string
		unit string
		at   time.Time
		err  error
	}{
		{"open-ended commission", "SE2321000016-1001", unit, now, nil},
		{"last day of the commission", "SE2321000016-1002", unit, day("2026-12-31").Add(23*time.Hour + 59*time.Minute), nil},
		{"the day after it ended", "SE2321000016-1002", unit, day("2027-01-01"), ErrNoCommission},
		{"on leave keeps access", "SE2321000016-1002", unit, day("2026-07-15"), nil},
		{"first day of the commission", "SE2321000016-1003", unit, day("2026-04-01"), nil},
		{"the day before it starts", "SE2321000016-1003", unit, day("2026-03-31").Add(23 * time.Hour), ErrNoCommission},
		{"administration purpose alone is not enough", "SE2321000016-1005", unit, now, nil},
		{"another unit's commission", "SE2321000016-1006", unit, now, ErrNoCommission},
		{"asked for another unit", "SE2321000016-1001", "SE2321000016-E999", now, ErrNoCommission},
		{"not in the directory", "SE2321000016-9999", unit, now, ErrUnknownPerson},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := d.Access(tc.id, tc.unit, tc.at)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Access = %v, want %v", err, tc.err)
			}
			if err == nil && p.HSAID != tc.id {
				t.Errorf("person %s", p.HSAID)
			}
		})
	}
	// Eva has both purposes; a person with only Administration is refused.
	only := strings.Replace(readSample(t), `{"unit": "SE2321000016-E001", "purpose": "Vård och behandling", "validFrom": "2025-01-01"}]},
    {"hsaId": "SE2321000016-1006"`, `{"unit": "SE2321000016-E001", "purpose": "Administration", "validFrom": "2025-01-02"}]},
    {"hsaId": "SE2321000016-1006"`, 1)
	d2, err := Parse(strings.NewReader(only))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d2.Access("SE2321000016-1005", unit, now); !errors.Is(err, ErrNoCommission) {
		t.Errorf("administration only: %v", err)
	}
}

func readSample(t testing.TB) string {
	b, err := os.ReadFile("testdata/directory.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCliniciansAndLeave(t *testing.T) {
	d := sample(t)
	at := day("2026-07-15")
	var got []string
	for _, p := range d.Clinicians(unit, at) {
		got = append(got, fmt.Sprintf("%s leave=%v", p.Surname, p.OnLeave(at)))
	}
	want := []string{"Andersson leave=false", "Berg leave=true", "Carlsson leave=false"}
	if !slices.Equal(got, want) {
		t.Errorf("clinicians %v, want %v", got, want)
	}
	if p, _ := d.Lookup("SE2321000016-1002"); p.OnLeave(day("2026-08-01")) || !p.OnLeave(day("2026-07-31").Add(23*time.Hour)) {
		t.Error("leave's last day is wrong")
	}
}

func TestParseRefuses(t *testing.T) {
	person := `{"hsaId": "SE2321000016-1001", "givenName": "Anna", "surname": "Andersson", "title": "Sjuksköterska", "roles": ["clinician"], "commissions": []}`
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"not JSON", `{"version": 1,`, []string{"not JSON"}},
		{"unknown member", `{"version": 1, "people": [], "extra": 1}`, []string{"unknown field"}},
		{"wrong version", `{"version": 2, "people": []}`, []string{"version 2"}},
		{"wrong type", `{"version": "1", "people": []}`, []string{"version", "expected int"}},
		{"trailing data", `{"version": 1, "people": []} {}`, []string{"data after"}},
		{"duplicate", `{"version": 1, "people": [` + person + `,` + person + `]}`, []string{"people[1] (SE2321000016-1001)", "twice"}},
		{"bad HSA-ID, name never echoed", `{"version": 1, "people": [` + strings.Replace(person, "SE2321000016-1001", "Anna Andersson 19800517-9806", 1) + `]}`, []string{"people[0] (malformed HSA-ID)", "hsaId"}},
		{"unknown role", `{"version": 1, "people": [` + strings.Replace(person, `"clinician"`, `"surgeon"`, 1) + `]}`, []string{"unknown role \"surgeon\""}},
		{"no role", `{"version": 1, "people": [` + strings.Replace(person, `["clinician"]`, `[]`, 1) + `]}`, []string{"roles: at least one"}},
		{"title is an HSA-ID", `{"version": 1, "people": [` + strings.Replace(person, `"Sjuksköterska"`, `"SE2321000016-1001"`, 1) + `]}`, []string{"title"}},
		{"bad date", `{"version": 1, "people": [` + strings.Replace(person, `[]}`, `[{"unit":"SE2321000016-E001","purpose":"Vård och behandling","validFrom":"1 maj"}]}`, 1) + `]}`, []string{"YYYY-MM-DD"}},
		{"to before from", `{"version": 1, "people": [` + strings.Replace(person, `[]}`, `[{"unit":"SE2321000016-E001","purpose":"Vård och behandling","validFrom":"2026-05-01","validTo":"2026-04-01"}]}`, 1) + `]}`, []string{"validTo is before validFrom"}},
		{"multi-line name", `{"version": 1, "people": [` + strings.Replace(person, `"Anna"`, `"Anna\nforged"`, 1) + `]}`, []string{"givenName"}},
		{"not UTF-8", "{\"version\": 1, \"people\": [\xff]}", []string{"UTF-8"}},
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
			if strings.Contains(err.Error(), "Andersson") || strings.Contains(err.Error(), "19800517") {
				t.Errorf("error carries personal data: %v", err)
			}
		})
	}
	if _, err := Parse(bytes.NewReader(make([]byte, MaxFileSize+1))); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversize: %v", err)
	}
}

func TestRevoked(t *testing.T) {
	old := sample(t)
	now := day("2026-05-04")
	text := readSample(t)
	// Anna's commission removed, Bertil loses nothing, David demoted to
	// no role distributor → clinician, Cecilia removed entirely.
	text = strings.Replace(text, `"roles": ["clinician"],
     "commissions": [{"unit": "SE2321000016-E001", "purpose": "Vård och behandling", "validFrom": "2025-01-01"}]},`, `"roles": ["clinician"],
     "commissions": []},`, 1)
	text = strings.Replace(text, `"roles": ["distributor"]`, `"roles": ["clinician"]`, 1)
	i := strings.Index(text, `    {"hsaId": "SE2321000016-1003"`)
	j := strings.Index(text, `    {"hsaId": "SE2321000016-1004"`)
	text = text[:i] + text[j:]
	new, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	got := Revoked(old, new, unit, now)
	want := []string{"SE2321000016-1001", "SE2321000016-1003", "SE2321000016-1004"}
	if !slices.Equal(got, want) {
		t.Errorf("Revoked = %v, want %v", got, want)
	}
	if r := Revoked(old, old, unit, now); len(r) != 0 {
		t.Errorf("no change revoked %v", r)
	}
}

func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/directory.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"version":1,"people":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, p := range d.sorted {
			if _, ok := d.Lookup(p.HSAID); !ok {
				t.Fatal("a parsed person cannot be looked up")
			}
			_, _ = d.Access(p.HSAID, unit, time.Now())
		}
	})
}

func BenchmarkAccess(b *testing.B) {
	d := sample(b)
	now := time.Now()
	for b.Loop() {
		if _, err := d.Access("SE2321000016-1001", unit, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse5000(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"version":1,"people":[`)
	for i := range 5000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"hsaId":"SE2321000016-P%05d","givenName":"Test","surname":"Person%d","title":"Sjuksköterska","email":"p%d@example.invalid","roles":["clinician"],"commissions":[{"unit":"%s","purpose":"Vård och behandling","validFrom":"2025-01-01"}]}`, i, i, i, unit)
	}
	sb.WriteString(`]}`)
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
