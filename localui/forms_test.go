package localui_test

import (
	"bytes"
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"clinicgw/agent"
	"clinicgw/agent/store"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	svccat "clinicgw/sync/wire/catalog"
)

// editValues is the editor's post for f, as the page fills it in.
func editValues(f wire.Form, action string) url.Values {
	v := url.Values{"action": {action}, "titleSv": {f.Title.SV}, "titleEn": {f.Title.EN},
		"introSv": {f.Intro.SV}, "introEn": {f.Intro.EN}, "n": {strconv.Itoa(len(f.Fields))}}
	if f.AllowGuardian {
		v.Set("allowGuardian", "on")
	}
	for i, ff := range f.Fields {
		p := "f" + strconv.Itoa(i) + "."
		v.Set(p+"name", ff.Name)
		v.Set(p+"labelSv", ff.Label.SV)
		v.Set(p+"labelEn", ff.Label.EN)
		v.Set(p+"helpSv", ff.Help.SV)
		v.Set(p+"helpEn", ff.Help.EN)
		v.Set(p+"kind", string(ff.Kind))
		if ff.Required {
			v.Set(p+"required", "on")
		}
		var opts []string
		for _, o := range ff.Options {
			opts = append(opts, o.Value+" | "+o.Label.SV+" | "+o.Label.EN)
		}
		v.Set(p+"options", strings.Join(opts, "\r\n"))
		if ff.ShowIf != nil {
			v.Set(p+"showField", ff.ShowIf.Field)
			v.Set(p+"showEquals", ff.ShowIf.Equals)
		}
	}
	return v
}

// storedForms is the form set the designer stored (the offered forms of
// the stored catalogue of services), and false if none.
func (c *clinic) storedForms() (wire.FormSet, bool) {
	c.t.Helper()
	cat, ok := c.storedCatalog()
	if !ok {
		return wire.FormSet{}, false
	}
	return cat.Published().Forms(), true
}

// storedCatalog is the catalogue of services the designer stored, and
// false if none.
func (c *clinic) storedCatalog() (svccat.Catalog, bool) {
	c.t.Helper()
	b, err := c.gw.Store().Setting(context.Background(), agent.CatalogSetting)
	if errors.Is(err, store.ErrNoSetting) {
		return svccat.Catalog{}, false
	}
	if err != nil {
		c.t.Fatal(err)
	}
	cat, err := svccat.Decode(bytes.NewReader(b), svccat.Rules{GroupExists: func(string) bool { return true }})
	if err != nil {
		c.t.Fatalf("the stored catalogue does not decode: %v", err)
	}
	return cat, true
}

// defaultForm is the built-in form of case type id.
func defaultForm(t testing.TB, id string) wire.Form {
	t.Helper()
	for _, f := range casetype.DefaultForms().Forms {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no default form %s", id)
	return wire.Form{}
}

func formByID(t testing.TB, set wire.FormSet, id string) wire.Form {
	t.Helper()
	for _, f := range set.Forms {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("the set has no form %s", id)
	return wire.Form{}
}

// TestFormDesignerPublish: the unit administrator edits a field's label,
// makes a field required, adds a field shown only when a checkbox is
// ticked, moves a field and publishes: the stored set has the new form
// (its version raised) and the other forms unchanged; the list says so.
func TestFormDesignerPublish(t *testing.T) {
	c := startClinic(t)
	admin := c.login(hsaAdmin)
	if _, ok := c.storedForms(); ok {
		t.Fatal("forms stored before any edit")
	}
	r, body := admin.getBody("/admin/forms")
	if r.StatusCode != http.StatusOK || strings.Count(body, `<tr id="form-`) != 11 || !strings.Contains(body, "Registrera symtom") {
		t.Fatalf("list: %d\n%s", r.StatusCode, body)
	}
	const id = "symptom-registration"
	if r, body := admin.getBody("/admin/forms/" + id); r.StatusCode != http.StatusOK || !strings.Contains(body, `name="f3.showField"`) {
		t.Fatalf("editor: %d\n%.500s", r.StatusCode, body)
	}

	f := defaultForm(t, id)
	f.Fields[0].Label = wire.Text{SV: "Vilka besvär har du?", EN: "What are your symptoms?"}
	f.Fields[1].Required = true
	r, _ = admin.form("/admin/forms/"+id, editValues(f, "add"))
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "#field-4") {
		t.Fatalf("add: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if _, ok := c.storedForms(); ok {
		t.Fatal("adding a field published the form")
	}
	r, body = admin.getBody("/admin/forms/" + id)
	if !strings.Contains(body, `id="field-4"`) || !strings.Contains(body, "Vilka besvär har du?") || !strings.Contains(body, "Ändrat, inte publicerat") {
		t.Fatalf("the draft is not shown: %d\n%s", r.StatusCode, body)
	}

	f.Fields = append(f.Fields, wire.FormField{Name: "medicine", Label: wire.Text{SV: "Vilken febernedsättande medicin har du tagit?"},
		Help: wire.Text{SV: "Namn och mängd."}, Kind: wire.FieldText, Required: true, ShowIf: &wire.Condition{Field: "fever", Equals: "true"}})
	r, _ = admin.form("/admin/forms/"+id, editValues(f, "down:3")) // temperature below medicine
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("move: %d", r.StatusCode)
	}
	f.Fields[3], f.Fields[4] = f.Fields[4], f.Fields[3]
	r, body = admin.form("/admin/forms/"+id, editValues(f, "publish"))
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/forms?ok=published" {
		t.Fatalf("publish: %d %s\n%s", r.StatusCode, r.Header.Get("Location"), body)
	}
	set, ok := c.storedForms()
	if !ok {
		t.Fatal("nothing stored after publishing")
	}
	got := formByID(t, set, id)
	want := f
	want.Version = 2
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stored form\n%+v\nwant\n%+v", got, want)
	}
	for _, d := range casetype.DefaultForms().Forms {
		if d.ID != id && !reflect.DeepEqual(formByID(t, set, d.ID), d) {
			t.Errorf("form %s changed", d.ID)
		}
	}
	_, body = admin.getBody("/admin/forms?ok=published")
	if !strings.Contains(body, "Formuläret är publicerat.") || strings.Contains(body, "Ändrat, inte publicerat") || !strings.Contains(body, "version 2") {
		t.Errorf("list after publishing:\n%s", body)
	}
	// Publishing the same form again does not raise the version.
	admin.form("/admin/forms/"+id, editValues(f, "publish"))
	if set, _ := c.storedForms(); formByID(t, set, id).Version != 2 {
		t.Errorf("an unchanged form was published as version %d", formByID(t, set, id).Version)
	}
}

// TestFormDesignerRefusesBadForm: a form that breaks the protocol's rules
// is not published; each broken field gets its own Swedish message, and
// the edits are kept as a draft.
func TestFormDesignerRefusesBadForm(t *testing.T) {
	c := startClinic(t)
	admin := c.login(hsaAdmin)
	const id = "contact-me"
	f := defaultForm(t, id)
	f.Title.SV = ""
	f.Fields[0].Name = "telefon nummer"
	f.Fields = append(f.Fields,
		wire.FormField{Name: "x", Label: wire.Text{SV: "Villkorat"}, Kind: wire.FieldText, ShowIf: &wire.Condition{Field: "finnsinte", Equals: "ja"}},
		wire.FormField{Name: "val", Label: wire.Text{SV: "Val"}, Kind: wire.FieldSelect})
	r, body := admin.form("/admin/forms/"+id, editValues(f, "publish"))
	if r.StatusCode != http.StatusBadRequest {
		t.Fatalf("publish a bad form: %d", r.StatusCode)
	}
	for _, want := range []string{
		"Formuläret publicerades inte",
		"Titeln: skriv den på svenska",
		`id="f0-errs"`, "Namnet ska vara 1–64 tecken",
		`id="f2-errs"`, "Villkoret gäller ett fält som inte finns ovanför",
		`id="f3-errs"`, "behöver 1–50 alternativ",
		`value="telefon nummer"`, // nothing the administrator wrote is lost
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="f1-errs"`) {
		t.Error("a good field is marked wrong")
	}
	if _, ok := c.storedForms(); ok {
		t.Fatal("a bad form was stored as published")
	}
	_, body = admin.getBody("/admin/forms/" + id)
	if !strings.Contains(body, `value="telefon nummer"`) || !strings.Contains(body, `value="finnsinte" selected`) {
		t.Error("the draft was not kept")
	}
	_, body = admin.getBody("/admin/forms")
	if !strings.Contains(body, "Ändrat, inte publicerat") {
		t.Error("the list does not show the draft")
	}
	// Discarding the draft brings back the published form.
	r, _ = admin.form("/admin/forms/"+id, url.Values{"action": {"discard"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("discard: %d", r.StatusCode)
	}
	if _, body = admin.getBody("/admin/forms/" + id); strings.Contains(body, "telefon nummer") {
		t.Error("the draft is still there after discarding it")
	}
}

// TestFormDesignerForOthers: only the unit administrator reaches the
// designer; a cross-site post is refused; neither changes anything.
func TestFormDesignerForOthers(t *testing.T) {
	c := startClinic(t)
	f := defaultForm(t, "book-appointment")
	f.Title.SV = "Ändrad av fel person"
	for _, h := range []string{hsaDist, hsaClinA, hsaAudit} {
		b := c.login(h)
		for _, p := range []string{"/admin/forms", "/admin/forms/book-appointment", "/admin/forms/export"} {
			if r := b.get(p); r.StatusCode != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", h, p, r.StatusCode)
			}
		}
		if r, _ := b.form("/admin/forms/book-appointment", editValues(f, "publish")); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s publish: %d, want 403", h, r.StatusCode)
		}
		if r, _ := b.post("/admin/forms/import/apply", "application/x-www-form-urlencoded", nil); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s import: %d, want 403", h, r.StatusCode)
		}
	}
	admin := c.login(hsaAdmin)
	for _, h := range []map[string]string{
		{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
		{"Sec-Fetch-Site": "cross-site"},
		{},
		{"Origin": "null"},
	} {
		for _, p := range []string{"/admin/forms/book-appointment", "/admin/forms/import/apply"} {
			req, _ := http.NewRequest(http.MethodPost, c.origin+p, strings.NewReader(editValues(f, "publish").Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range h {
				req.Header.Set(k, v)
			}
			if r, _ := admin.do(req); r.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with %v: %d, want 403", p, h, r.StatusCode)
			}
		}
	}
	if _, ok := c.storedForms(); ok {
		t.Fatal("forms were stored")
	}
	if _, body := admin.getBody("/admin/forms"); strings.Contains(body, "Ändrad av fel person") {
		t.Fatal("a refused post left a draft")
	}
}

// upload posts a file to the import as the page's form does.
func (b *browser) upload(data []byte) (*http.Response, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "formular.json")
	fw.Write(data)
	mw.Close()
	r, body := b.post("/admin/forms/import", mw.FormDataContentType(), buf.Bytes())
	return r, string(body)
}

// TestFormImport: files that are not a valid form set are refused with a
// clear message and change nothing; an exported set imports back equal;
// a changed set is previewed, then published on confirmation.
func TestFormImport(t *testing.T) {
	c := startClinic(t)
	admin := c.login(hsaAdmin)
	r, exported := admin.getBody("/admin/forms/export")
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment;") ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("export: %d %v", r.StatusCode, r.Header)
	}
	set, err := wire.DecodeFormSet(strings.NewReader(exported))
	if err != nil || !reflect.DeepEqual(set, casetype.DefaultForms()) {
		t.Fatalf("the export is not the forms in use: %v", err)
	}

	unknownKind := strings.Replace(exported, `"kind":"textarea"`, `"kind":"essay"`, 1)
	missingCond := strings.Replace(exported, `"showIf":{"field":"fever"`, `"showIf":{"field":"chills"`, 1)
	oversize := `{"forms":[],"pad":"` + strings.Repeat("x", 600<<10) + `"}`
	if unknownKind == exported || missingCond == exported {
		t.Fatal("the test's edits of the export did not apply")
	}
	for _, tt := range []struct {
		name, file string
		status     int
		want       string
	}{
		{"truncated", exported[:len(exported)/2], 400, "inte en giltig formulärfil"},
		{"unknown kind", unknownKind, 400, "kind"},
		{"condition on a missing field", missingCond, 400, "showIf.field"},
		{"no forms", `{"forms":[]}`, 400, "inga formulär"},
		{"empty", "", 400, "tom"},
		{"oversize", oversize, 413, "för stor"},
	} {
		r, body := admin.upload([]byte(tt.file))
		if r.StatusCode != tt.status || !strings.Contains(body, tt.want) || !strings.Contains(body, "Inget har ändrats") {
			t.Errorf("%s: %d, want %d with %q\n%.2000s", tt.name, r.StatusCode, tt.status, tt.want, body)
		}
		if _, ok := c.storedForms(); ok {
			t.Fatalf("%s: forms were stored", tt.name)
		}
		if r, _ := admin.form("/admin/forms/import/apply", nil); r.StatusCode != http.StatusConflict {
			t.Fatalf("%s: a refused file can be applied: %d", tt.name, r.StatusCode)
		}
	}

	// Round trip: the export imports back unchanged.
	r, body := admin.upload([]byte(exported))
	if r.StatusCode != http.StatusOK || strings.Count(body, "Oförändrat") != 11 {
		t.Fatalf("preview of the export: %d\n%s", r.StatusCode, body)
	}
	if r, _ := admin.form("/admin/forms/import/apply", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", r.StatusCode)
	}
	stored, ok := c.storedForms()
	if !ok || !reflect.DeepEqual(stored, set) {
		t.Fatal("the imported export is not the exported set")
	}
	if _, again := admin.getBody("/admin/forms/export"); again != exported {
		t.Fatal("export → import → export differs")
	}

	// A changed set: previewed, nothing stored until applied; its changed
	// form gets a higher version.
	changed := casetype.DefaultForms()
	changed.Forms[0].Title.SV = "Boka besök"
	changed.Forms = changed.Forms[:10] // contact-me no longer offered
	b, _ := wire.Marshal(changed)
	r, body = admin.upload(b)
	if r.StatusCode != http.StatusOK || !strings.Contains(body, "Ändras") || !strings.Contains(body, "Tas bort") {
		t.Fatalf("preview: %d\n%s", r.StatusCode, body)
	}
	if s, _ := c.storedForms(); !reflect.DeepEqual(s, set) {
		t.Fatal("a preview changed the stored set")
	}
	if r, _ := admin.form("/admin/forms/import/apply", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", r.StatusCode)
	}
	// A refused file after a good one drops the good one too: a
	// confirmation publishes only the file last shown.
	admin.upload(b)
	if r, _ := admin.upload([]byte(unknownKind)); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad file after a good one: %d", r.StatusCode)
	}
	if r, _ := admin.form("/admin/forms/import/apply", nil); r.StatusCode != http.StatusConflict {
		t.Fatalf("apply after a refused file: %d, want 409", r.StatusCode)
	}
	stored, _ = c.storedForms()
	if len(stored.Forms) != 10 || stored.Forms[0].Title.SV != "Boka besök" || stored.Forms[0].Version != 2 || stored.Forms[1].Version != 1 {
		t.Fatalf("stored after import: %+v", stored.Forms[:2])
	}
	if _, body := admin.getBody("/admin/forms"); !strings.Contains(body, "Erbjuds inte patienterna") {
		t.Error("the list does not say contact-me is no longer offered")
	}
}

// TestFormDesignerReachesCentral: a form published in the designer
// reaches a real central store over mutual TLS, where patients' pages
// read it.
func TestFormDesignerReachesCentral(t *testing.T) {
	c, cs := startCentralClinic(t)
	admin := c.login(hsaAdmin)
	f := defaultForm(t, "renew-prescription")
	f.Title = wire.Text{SV: "Förnya recept (designern)", EN: "Renew a prescription"}
	f.Fields[0].Required = false
	if r, body := admin.form("/admin/forms/renew-prescription", editValues(f, "publish")); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d\n%s", r.StatusCode, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		set, err := cs.Store.Forms(context.Background(), testUnit)
		if err != nil {
			t.Fatal(err)
		}
		if got := formByID(t, set, "renew-prescription"); got.Title == f.Title && !got.Fields[0].Required && got.Version == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the central store does not have the published form")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, body := admin.getBody("/admin/forms"); !strings.Contains(body, "Den centrala tjänsten tog emot formulären") && !strings.Contains(body, "väntar på att nå") {
		t.Errorf("the list does not tell the delivery:\n%s", body)
	}
}

// TestFormDesignerInBrowser: in headless Chromium, the administrator adds
// a field, fills it in from the keyboard and publishes a form with a
// broken condition; the page says what is wrong at the field, and the
// editor, its error state and the list pass axe (no serious or critical
// violation) with no CSP violation.
func TestFormDesignerInBrowser(t *testing.T) {
	c := startClinic(t)
	admin := c.login(hsaAdmin)
	b := uitest.NewBrowser(t)
	tab := b.NewTab(t)
	useSession(t, tab, admin)
	axe := func(what string) {
		t.Helper()
		for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
			t.Errorf("%s: %s (%s): %s %v", what, v.ID, v.Impact, v.Help, v.Nodes)
		}
	}
	tab.Navigate(c.origin + "/admin/forms")
	run(t, tab, "list", chromedp.WaitVisible(`#forms`), chromedp.Click(`a[href="/admin/forms/contact-me"]`), chromedp.WaitVisible(`#editor`))
	run(t, tab, "add a field", chromedp.Click(`#add`), chromedp.WaitVisible(`#field-2`))
	run(t, tab, "fill it in", chromedp.SendKeys(`#f2-name`, "urgent"), chromedp.SendKeys(`#f2-labelSv`, "Det är bråttom"),
		chromedp.SetValue(`#f2-showField`, "when"), chromedp.SendKeys(`#f2-showEquals`, "never"),
		chromedp.Click(`#publish`), chromedp.WaitVisible(`#f2-errs`), waitText(`#f2-errs`, "Villkoret: värdet måste vara ett av alternativen"))
	axe("editor with errors")
	if set, ok := c.storedForms(); ok {
		t.Fatalf("a bad form was published: %+v", set)
	}
	run(t, tab, "correct and publish", chromedp.SetValue(`#f2-showEquals`, "morning"), chromedp.Click(`#publish`),
		chromedp.WaitVisible(`.flash`), waitText(`.flash`, "Formuläret är publicerat."))
	axe("list after publishing")
	set, _ := c.storedForms()
	f := formByID(t, set, "contact-me")
	if len(f.Fields) != 3 || f.Fields[2].Name != "urgent" || f.Fields[2].ShowIf == nil || f.Fields[2].ShowIf.Equals != "morning" || f.Version != 2 {
		t.Fatalf("published: %+v", f)
	}
	if v := tab.CSPViolations(); len(v) > 0 {
		t.Errorf("CSP violations: %v", v)
	}
}
