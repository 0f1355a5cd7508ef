package localui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"clinicgw/sync/wire"
)

// TestFormDesignerErrorsInEnglish: the form designer's messages on what
// breaks a form come from the catalogue in the reader's language, so an
// administrator who reads English gets them in English (they were in
// Swedish only), and in Swedish as before.
func TestFormDesignerErrorsInEnglish(t *testing.T) {
	c := startClinic(t)
	admin := c.login(hsaAdmin)
	const id = "contact-me"
	f := defaultForm(t, id)
	f.Title.SV = ""
	f.Fields[0].Name = "telefon nummer"
	f.Fields = append(f.Fields,
		wire.FormField{Name: "x", Label: wire.Text{SV: "Villkorat"}, Kind: wire.FieldText, ShowIf: &wire.Condition{Field: "finnsinte", Equals: "ja"}},
		wire.FormField{Name: "val", Label: wire.Text{SV: "Val"}, Kind: wire.FieldSelect})
	for _, l := range []struct {
		code      string
		want, not []string
	}{
		{"en", []string{"The form was not published", "The title: write it in Swedish (English is optional).",
			"The name must be 1–64 characters", "The condition names a field that is not above this one",
			"A drop-down or radio buttons need 1–50 options"},
			[]string{"Titeln", "Namnet ska", "Villkoret", "alternativ"}},
		{"sv", []string{"Formuläret publicerades inte", "Titeln: skriv den på svenska (engelska är frivilligt).",
			"Namnet ska vara 1–64 tecken", "Villkoret gäller ett fält som inte finns ovanför",
			"En rullista eller ett flerval behöver 1–50 alternativ"},
			[]string{"The title", "The name must"}},
	} {
		if r, _ := admin.form("/lang", url.Values{"lang": {l.code}, "back": {"/"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("language %s: %d", l.code, r.StatusCode)
		}
		r, body := admin.form("/admin/forms/"+id, editValues(f, "publish"))
		if r.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s: publish a bad form: %d", l.code, r.StatusCode)
		}
		for _, w := range l.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the page lacks %q", l.code, w)
			}
		}
		for _, n := range l.not {
			if strings.Contains(body, n) {
				t.Errorf("%s: the page shows %q", l.code, n)
			}
		}
	}
}
