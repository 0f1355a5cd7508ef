package localui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"clinicgw/agent/groups"
)

// TestServicesRoutePicker: who handles a service is chosen in a picker of
// the unit's staff groups and the message administrator's inbox, in
// Swedish and English, labelled, with the current route chosen; a route
// chosen there is saved, and a route to a group that does not exist (a
// crafted post) is refused with a Swedish message at the picker, which
// says it is wrong and points at the message.
func TestServicesRoutePicker(t *testing.T) {
	c := startClinic(t)
	c.setGroups()
	admin := c.login(hsaAdmin)
	const svc = "book-appointment"
	selectOf := func(body string) string {
		t.Helper()
		m := regexp.MustCompile(`(?s)<select id="route-` + svc + `"[^>]*>.*?</select>`).FindString(body)
		if m == "" {
			t.Fatalf("no picker for %s:\n%.4000s", svc, body)
		}
		return m
	}
	r, body := admin.getBody("/admin/services")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("designer: %d", r.StatusCode)
	}
	sel := selectOf(body)
	for _, want := range []string{`name="route"`, `<option value="" selected>Meddelandeadministratörens inkorg</option>`,
		`<option value="arbetsterapeuter">Arbetsterapeuter</option>`, `<option value="lakare">Läkare</option>`} {
		if !strings.Contains(sel, want) {
			t.Errorf("the picker lacks %s:\n%s", want, sel)
		}
	}
	if !strings.Contains(body, `<label for="route-`+svc+`">Mottagare</label>`) {
		t.Errorf("the picker has no label:\n%.4000s", body)
	}
	if strings.Contains(body, `<input id="route-`) {
		t.Error("the route is still a free-text box")
	}

	if r, body := admin.form("/admin/services/"+svc+"/rule", url.Values{"route": {groupOT}, "answerDays": {"2"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("route to the therapists: %d\n%.2000s", r.StatusCode, body)
	}
	if cat, _ := c.storedCatalog(); cat.Services[0].ID != svc || cat.Services[0].Route != groupOT {
		t.Fatalf("saved route: %+v", cat.Services[0])
	}
	_, body = admin.getBody("/admin/services")
	if sel := selectOf(body); !strings.Contains(sel, `<option value="arbetsterapeuter" selected>Arbetsterapeuter</option>`) ||
		strings.Contains(sel, `<option value="" selected>`) {
		t.Errorf("the picker does not show the saved route:\n%s", sel)
	}

	r, body = admin.form("/admin/services/"+svc+"/rule", url.Values{"route": {"psykologer"}, "answerDays": {"2"}})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, "gruppen ”psykologer”, som inte finns") {
		t.Fatalf("route to a missing group: %d\n%.3000s", r.StatusCode, body)
	}
	if sel := selectOf(body); !strings.Contains(sel, `aria-invalid="true"`) || !regexp.MustCompile(`aria-describedby="[^"]*services-error`).MatchString(sel) {
		t.Errorf("the refused picker is not marked wrong:\n%s", sel)
	}
	if cat, _ := c.storedCatalog(); cat.Services[0].Route != groupOT {
		t.Errorf("a refused route changed the catalogue: %q", cat.Services[0].Route)
	}

	// The group is removed: the picker still shows the route, as one to
	// change, not as the inbox.
	if err := c.gw.Groups().Save(t.Context(), []groups.Group{{ID: groupDocs, Name: "Läkare", Members: []string{hsaClinB}}}); err != nil {
		t.Fatal(err)
	}
	_, body = admin.getBody("/admin/services")
	if sel := selectOf(body); !strings.Contains(sel, `<option value="arbetsterapeuter" selected>”arbetsterapeuter” (gruppen finns inte – välj en annan)</option>`) ||
		strings.Contains(sel, `<option value="" selected>`) {
		t.Errorf("a route to a removed group:\n%s", sel)
	}

	admin.form("/lang", url.Values{"lang": {"en"}})
	_, body = admin.getBody("/admin/services")
	if sel := selectOf(body); !strings.Contains(sel, `<option value="">The message administrator&#39;s inbox</option>`) ||
		!strings.Contains(body, `<label for="route-`+svc+`">Handled by</label>`) {
		t.Errorf("English picker:\n%s", sel)
	}
}
