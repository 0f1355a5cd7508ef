package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// templatesCatalog is a catalogue of every template, switched on.
func templatesCatalog(t *testing.T) Catalog {
	t.Helper()
	c := Catalog{Format: Format}
	for _, tp := range Templates() {
		if !c.Enable(tp.Service.ID, nil) {
			t.Fatalf("template %s not enabled", tp.Service.ID)
		}
	}
	return c
}

func groups(ids ...string) func(string) bool {
	return func(id string) bool {
		for _, x := range ids {
			if x == id {
				return true
			}
		}
		return false
	}
}

func TestTemplatesAreValid(t *testing.T) {
	c := templatesCatalog(t)
	if err := c.Check(Rules{}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"book-appointment", RebookOrCancel, ContactMeNurse, ContactMeDoctor, "renew-prescription",
		RenewAssistiveDevice, TestResults, "advice-nurse", "advice-psychologist", RequestCertificate, LifestyleSupport} {
		s, ok := c.Find(id)
		if !ok || s.Name.SV == "" || s.Name.EN == "" || strings.HasPrefix(s.Name.SV, "type.") {
			t.Errorf("template %s: %+v", id, s.Name)
		}
	}
	for _, ty := range casetype.All {
		if _, ok := c.Find(string(ty)); !ok {
			t.Errorf("today's case type %s has no template", ty)
		}
	}
	// Contact me per professional group: two services routed to two groups.
	c2 := Catalog{Format: Format}
	c2.Enable(ContactMeNurse, groups("nurses", "doctors"))
	c2.Enable(ContactMeDoctor, groups("nurses", "doctors"))
	if c2.RouteFor(ContactMeNurse) != "nurses" || c2.RouteFor(ContactMeDoctor) != "doctors" || c2.RouteFor("nope") != "" {
		t.Errorf("routes %q %q", c2.RouteFor(ContactMeNurse), c2.RouteFor(ContactMeDoctor))
	}
}

// TestCheckRules is the table of the catalogue's rules: each case breaks
// one rule of a valid catalogue and names where and what in Swedish.
func TestCheckRules(t *testing.T) {
	base := func() Catalog {
		c := Catalog{Format: Format}
		c.Enable("book-appointment", nil)
		c.Enable(TestResults, nil)
		return c
	}
	tests := []struct {
		name    string
		mutate  func(c *Catalog)
		rules   Rules
		path    string
		key, sv string
	}{
		{"valid", func(c *Catalog) {}, Rules{}, "", "", ""},
		{"format", func(c *Catalog) { c.Format = 9 }, Rules{}, "format", "catalog.err.format", "tjänstekatalog"},
		{"no services", func(c *Catalog) { c.Services = nil }, Rules{}, "services", "catalog.err.none", "inga tjänster"},
		{"duplicate id", func(c *Catalog) { c.Services[1].ID = c.Services[0].ID }, Rules{}, "services[1].id", "catalog.err.duplicate", "samma id (book-appointment) som tjänst nr 1"},
		{"bad id", func(c *Catalog) { c.Services[1].ID = "Å" }, Rules{}, "services[1]", "catalog.err.form", "bryter mot en regel"},
		{"route to a missing group", func(c *Catalog) { c.Services[0].Route = "nurses" }, Rules{GroupExists: groups("doctors")}, "services[0].route", "catalog.err.noGroup", "gruppen ”nurses”, som inte finns"},
		{"route without groups", func(c *Catalog) { c.Services[0].Route = "nurses" }, Rules{}, "services[0].route", "catalog.err.noGroup", "som inte finns"},
		{"route to a group", func(c *Catalog) { c.Services[0].Route = "nurses" }, Rules{GroupExists: groups("nurses")}, "", "", ""},
		{"showIf names a missing field", func(c *Catalog) {
			c.Services[1].Fields[1].ShowIf = &wire.Condition{Field: "nosuch", Equals: "x"}
		}, Rules{}, "services[1].fields[1].showIf.field", "catalog.err.showIf", "”nosuch”, som inte finns"},
		{"showIf names a later field", func(c *Catalog) {
			c.Services[1].Fields[0].ShowIf = &wire.Condition{Field: "date", Equals: "x"}
		}, Rules{}, "services[1].fields[0].showIf.field", "catalog.err.showIf", "som inte finns före"},
		{"shorter answer rule", func(c *Catalog) { c.Services[0].AnswerDays = 1 }, Rules{}, "", "", ""},
		{"longer rule without a note", func(c *Catalog) { c.Services[0].AnswerDays = 5 }, Rules{}, "services[0].answerNote", "catalog.err.answerNote", "inom 5 arbetsdagar"},
		{"longer rule with a note", func(c *Catalog) {
			c.Services[0].AnswerDays, c.Services[0].AnswerNote = 5, wire.Text{SV: "Läkaren är här på fredagar."}
		}, Rules{}, "", "", ""},
		{"answer rule too long", func(c *Catalog) {
			c.Services[0].AnswerDays, c.Services[0].AnswerNote = 31, wire.Text{SV: "x"}
		}, Rules{}, "services[0].answerDays", "catalog.err.answerDays", "1–30 arbetsdagar"},
		{"negative answer rule", func(c *Catalog) { c.Services[0].AnswerDays = -1 }, Rules{}, "services[0].answerDays", "catalog.err.answerDays", "arbetsdagar"},
		{"history of no service", func(c *Catalog) { c.History = []Service{{ID: "gone", Version: 1, Name: wire.Text{SV: "x"}}} }, Rules{}, "history[0]", "catalog.err.history", "Tidigare version nr 1"},
		{"history not older", func(c *Catalog) { c.History = []Service{c.Services[0]} }, Rules{}, "history[0]", "catalog.err.history", "Tidigare version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.mutate(&c)
			err := c.Check(tt.rules)
			if tt.key == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error %s", err, tt.key)
			}
			if e.Path != tt.path || e.Key != tt.key || !strings.Contains(e.Text("sv"), tt.sv) {
				t.Errorf("got %s %s %q; want %s %s containing %q", e.Path, e.Key, e.Text("sv"), tt.path, tt.key, tt.sv)
			}
		})
	}
}

func TestTooManyOffered(t *testing.T) {
	c := Catalog{Format: Format}
	for i := range wire.MaxForms + 1 {
		s := Templates()[0].Service
		s.ID = "s" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		c.Put(s)
	}
	var e *Error
	if err := c.Check(Rules{}); !errors.As(err, &e) || e.Key != "catalog.err.tooManyOffered" {
		t.Fatalf("err = %v", err)
	}
	c.Retire(c.Services[0].ID)
	if err := c.Check(Rules{}); err != nil {
		t.Fatalf("with one retired: %v", err)
	}
}

// TestVersions: a change raises the version and keeps the old one; a case
// of the old version still finds its form after a change and retirement.
func TestVersions(t *testing.T) {
	c := Catalog{Format: Format}
	c.Enable(RenewAssistiveDevice, nil)
	v1, _ := c.Find(RenewAssistiveDevice)
	c.Put(v1) // unchanged: nothing
	if len(c.History) != 0 || c.Services[0].Version != 1 {
		t.Fatalf("unchanged put made a version: %+v", c)
	}
	v2 := v1
	v2.Fields = append(v2.Fields[:0:0], v1.Fields[0])
	v2.Name.SV = "Förnya ditt hjälpmedel"
	c.Put(v2)
	c.Retire(RenewAssistiveDevice)
	cur, _ := c.Find(RenewAssistiveDevice)
	if cur.Version != 3 || !cur.Retired || len(c.History) != 2 {
		t.Fatalf("current %+v, history %d", cur, len(c.History))
	}
	old, ok := c.Lookup(RenewAssistiveDevice, 1)
	if !ok || old.Version != 1 || len(old.Fields) != 2 || old.Name.SV != "Förnya hjälpmedel" {
		t.Errorf("version 1 = %+v", old)
	}
	if s, _ := c.Lookup(RenewAssistiveDevice, 2); s.Name.SV != "Förnya ditt hjälpmedel" || len(s.Fields) != 1 {
		t.Errorf("version 2 = %+v", s)
	}
	if _, ok := c.Lookup("never", 1); ok {
		t.Error("an unknown id was found")
	}
	if len(c.Published().Services) != 0 || len(c.Legacy().Forms) != 0 || len(c.Forms().Forms) != 1 {
		t.Errorf("a retired service is published: %+v", c.Published())
	}
	if err := c.Check(Rules{}); err != nil {
		t.Fatal(err)
	}
}

// TestFromForms: a store's forms from before the catalogue become its
// services; today's types without a form stay, retired, so old cases keep
// their names.
func TestFromForms(t *testing.T) {
	set := casetype.DefaultForms()
	set.Forms = set.Forms[:3]
	set.Forms[1].Version = 7
	c := FromForms(set)
	if err := c.Check(Rules{}); err != nil {
		t.Fatal(err)
	}
	if len(c.Services) != len(casetype.All) || len(c.Offered()) != 3 {
		t.Fatalf("%d services, %d offered", len(c.Services), len(c.Offered()))
	}
	if s, _ := c.Find(set.Forms[1].ID); s.Version != 7 || s.Days() != DefaultAnswerDays || s.Retired {
		t.Errorf("migrated %+v", s)
	}
	if s, _ := c.Find(string(casetype.ContactMe)); !s.Retired || s.Name.SV != "Kontakta mig" {
		t.Errorf("a type without a form: %+v", s)
	}
}

// TestLegacy: a central store on the old form set gets only the forms of
// today's case types.
func TestLegacy(t *testing.T) {
	c := templatesCatalog(t)
	for _, f := range c.Legacy().Forms {
		if !casetype.Known(casetype.Type(f.ID)) {
			t.Errorf("legacy set has %s", f.ID)
		}
	}
	if len(c.Legacy().Forms) != len(casetype.All) {
		t.Errorf("legacy set has %d forms", len(c.Legacy().Forms))
	}
	if err := c.Legacy().Validate(); err != nil {
		t.Error(err)
	}
}

// TestPublishedGolden pins the v2 published set of the templates (with a
// longer answer rule on one) byte for byte.
func TestPublishedGolden(t *testing.T) {
	c := templatesCatalog(t)
	s, _ := c.Find(RequestCertificate)
	s.AnswerDays, s.AnswerNote = 5, wire.Text{SV: "Intyg skrivs av läkaren, som är här två dagar i veckan.", EN: "The doctor who writes certificates is here two days a week."}
	c.Put(s)
	b, err := wire.Marshal(c.Published())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "published.golden.json")
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("published set differs from %s (go test -update to accept):\n%s", golden, b)
	}
	back, err := wire.DecodeServiceSet(bytes.NewReader(b))
	if err != nil || len(back.Services) != len(c.Offered()) {
		t.Fatalf("decode: %v", err)
	}
}

// TestDecode: export and import round trip; bad files are refused with a
// Swedish message.
func TestDecode(t *testing.T) {
	c := templatesCatalog(t)
	b, err := c.Encode(Rules{})
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(bytes.NewReader(b), Rules{})
	if err != nil {
		t.Fatal(err)
	}
	if !equalJSON(back, c) {
		t.Error("round trip changed the catalogue")
	}
	big := append([]byte(`{"format":1,"services":[],"x":"`), bytes.Repeat([]byte("a"), 10<<20)...)
	tests := []struct {
		name string
		in   []byte
		key  string
	}{
		{"10 MB", append(big, '"', '}'), "catalog.err.tooLarge"},
		{"empty", []byte("  "), "catalog.err.empty"},
		{"not JSON", []byte("{"), "catalog.err.json"},
		{"unknown member", []byte(`{"format":1,"services":[],"extra":1}`), "catalog.err.json"},
		{"duplicate ids", bytes.Replace(b, []byte(`"id": "rebook-or-cancel"`), []byte(`"id": "book-appointment"`), 1), "catalog.err.duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(bytes.NewReader(tt.in), Rules{})
			var e *Error
			if !errors.As(err, &e) || e.Key != tt.key {
				t.Fatalf("err = %v, want %s", err, tt.key)
			}
			if sv := e.Text("sv"); sv == "" || strings.HasPrefix(sv, "catalog.") {
				t.Errorf("no Swedish text: %q", sv)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	c := Catalog{Format: Format}
	c.Enable(LifestyleSupport, nil)
	c.Enable("symptom-registration", nil)
	b, _ := json.Marshal(c)
	f.Add(b)
	f.Add([]byte(`{"format":1,"services":[{"id":"a","version":1,"name":{"sv":"A"},"route":"g"}]}`))
	f.Add([]byte(`{"format":1,"services":[{"id":"a","version":1,"name":{"sv":"A"}}],"history":[{"id":"a","version":0,"name":{"sv":"A"}}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Decode(bytes.NewReader(in), Rules{GroupExists: groups("g")})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Text("sv") == "" {
				t.Fatalf("not an *Error: %v", err)
			}
			return
		}
		// What is accepted encodes, decodes to the same, and publishes.
		out, err := c.Encode(Rules{GroupExists: groups("g")})
		if err != nil {
			t.Fatalf("accepted but not encoded: %v", err)
		}
		again, err := Decode(bytes.NewReader(out), Rules{GroupExists: groups("g")})
		if err != nil || !equalJSON(again, c) {
			t.Fatalf("round trip: %v", err)
		}
		if _, err := wire.Marshal(c.Published()); err != nil {
			t.Fatalf("accepted but not publishable: %v", err)
		}
		if _, err := wire.Marshal(c.Legacy()); err != nil {
			t.Fatalf("accepted but no legacy set: %v", err)
		}
	})
}

// TestPutLeavesCopiesAlone: a change made on a copy of a catalogue (what
// a designer's refused request works on) never shows in the original.
func TestPutLeavesCopiesAlone(t *testing.T) {
	orig := templatesCatalog(t)
	before, _ := json.Marshal(orig)
	cp := orig
	s := cp.Services[0]
	s.AnswerDays = 5
	cp.Put(s)
	cp.Retire(cp.Services[1].ID)
	cp.Enable(ContactMeNurse, nil)
	after, _ := json.Marshal(orig)
	if !bytes.Equal(before, after) {
		t.Fatal("a change of the copy changed the original")
	}
}
