package localui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	svccat "clinicgw/sync/wire/catalog"
	"clinicgw/sync/wire/personnummer"
)

// TestCasePageReadsCaseVersion: a case written on a service's version
// before the unit changed the form (here: an option's label) arrives
// after the change, keeps the version it was written on, and its page
// names the answer by that version's label, not the current one.
func TestCasePageReadsCaseVersion(t *testing.T) {
	c := startClinic(t)
	admin := c.login(hsaAdmin)
	r, exported := admin.getBody("/admin/services/export")
	if r.StatusCode != http.StatusOK {
		t.Fatal(r.StatusCode)
	}
	file, err := svccat.Decode(strings.NewReader(exported), svccat.Rules{GroupExists: func(string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	file.History = nil
	id := string(casetype.RenewPrescription)
	was, ok := file.Find(id)
	if !ok {
		t.Fatal("no renew-prescription service")
	}
	const v1Option, v2Option = "Vid behov", "När det behövs (ny version)"
	changed := was
	changed.Fields = append(changed.Fields[:0:0], was.Fields...)
	found := false
	for i, f := range changed.Fields {
		if f.Name == "howOften" {
			f.Options = append(f.Options[:0:0], f.Options...)
			for j, o := range f.Options {
				if o.Value == "sometimes" && o.Label.SV == v1Option {
					f.Options[j].Label.SV, found = v2Option, true
				}
			}
			changed.Fields[i] = f
		}
	}
	if !found {
		t.Fatal("no option sometimes on howOften")
	}
	for i := range file.Services {
		if file.Services[i].ID == id {
			file.Services[i] = changed
		}
	}
	b, _ := file.Encode(svccat.Rules{})
	if r, body := admin.uploadCatalog(b); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("import: %d\n%.2000s", r.StatusCode, body)
	}
	after, _ := c.storedCatalog()
	if now, _ := after.Find(id); now.Version != was.Version+1 {
		t.Fatalf("the changed service has version %d, want %d", now.Version, was.Version+1)
	}

	// The case the patient wrote on the version before arrives now.
	pnr := personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 981)
	cs, err := c.gw.Cases().Receive(context.Background(), cases.Submission{Type: casetype.RenewPrescription,
		FormVersion: was.Version, Patient: cases.Person{PNR: pnr, Name: canaryName}, SubmittedAt: c.clock.Now(),
		Fields: []cases.Field{{Name: "howOften", Label: "Hur ofta tar du läkemedlet?", Value: "sometimes"}}})
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.pnrs = append(c.pnrs, string(pnr))
	c.mu.Unlock()
	if cs.ServiceVersion != was.Version {
		t.Errorf("the case has version %d, want %d", cs.ServiceVersion, was.Version)
	}
	_, page := c.login(hsaDist).getBody("/cases/" + string(cs.ID))
	if !strings.Contains(page, v1Option) || strings.Contains(page, v2Option) {
		t.Errorf("the case page does not name the answer by version %d's label %q", was.Version, v1Option)
	}
}
