package localui_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	svccat "clinicgw/sync/wire/catalog"
)

// uploadCatalog posts a catalogue file to the service designer's import.
func (b *browser) uploadCatalog(data []byte) (*http.Response, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "tjanstekatalog.json")
	fw.Write(data)
	mw.Close()
	r, body := b.post("/admin/services/import", mw.FormDataContentType(), buf.Bytes())
	return r, string(body)
}

// TestServicesBadInput: a catalogue import with duplicate ids, a service
// routed to a group that does not exist, a form whose condition names a
// missing field and 10 MB of JSON are each refused with a Swedish message
// at the file's control, and nothing changes; so is a route to a missing
// group set on the list. A good export imports back.
func TestServicesBadInput(t *testing.T) {
	c := startClinic(t)
	admin := c.login(hsaAdmin)
	// A saved catalogue to compare against.
	if r, body := admin.form("/admin/services/"+svccat.RenewAssistiveDevice+"/enable", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch a template on: %d\n%.1500s", r.StatusCode, body)
	}
	before, ok := c.storedCatalog()
	if !ok {
		t.Fatal("no catalogue stored")
	}
	r, exported := admin.getBody("/admin/services/export")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Header.Get("Content-Disposition"), "tjanstekatalog.json") {
		t.Fatalf("export: %d %v", r.StatusCode, r.Header)
	}
	edit := func(old, new string) []byte {
		t.Helper()
		out := strings.Replace(exported, old, new, 1)
		if out == exported {
			t.Fatalf("the edit %q did not apply", old)
		}
		return []byte(out)
	}
	big := append([]byte(`{"format":1,"services":[],"pad":"`), bytes.Repeat([]byte("x"), 10<<20)...)
	for _, tt := range []struct {
		name   string
		file   []byte
		status int
		want   string
	}{
		{"duplicate ids", edit(`"id": "change-appointment"`, `"id": "book-appointment"`), 400, "har samma id (book-appointment) som tjänst nr 1"},
		{"route to a missing group", edit(`"id": "book-appointment",`, `"id": "book-appointment", "route": "arbetsterapeuter",`), 400, "gruppen ”arbetsterapeuter”, som inte finns"},
		{"condition on a missing field", edit(`"field": "fever"`, `"field": "chills"`), 400, "”chills”, som inte finns före det i formuläret"},
		{"10 MB", append(big, '"', '}'), 413, "Filen är för stor"},
	} {
		r, body := admin.uploadCatalog(tt.file)
		if r.StatusCode != tt.status || !strings.Contains(body, tt.want) || !strings.Contains(body, "Inget har ändrats") ||
			!strings.Contains(body, `id="import-file"`) || !strings.Contains(body, `aria-invalid="true"`) {
			t.Errorf("%s: %d, want %d with %q\n%.3000s", tt.name, r.StatusCode, tt.status, tt.want, body)
		}
		if after, _ := c.storedCatalog(); !equalCatalogs(before, after) {
			t.Fatalf("%s: the catalogue changed", tt.name)
		}
	}
	// A route to a missing group set on the list: refused at the place.
	r, body := admin.form("/admin/services/book-appointment/rule", url.Values{"route": {"lakare"}, "answerDays": {"2"}})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, "gruppen ”lakare”, som inte finns") {
		t.Errorf("route on the list: %d\n%.2000s", r.StatusCode, body)
	}
	// A longer answer rule without a note: refused; with one: saved.
	r, body = admin.form("/admin/services/book-appointment/rule", url.Values{"answerDays": {"5"}})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Skriv en text som talar om för patienterna varför") {
		t.Errorf("longer rule without a note: %d\n%.2000s", r.StatusCode, body)
	}
	if after, _ := c.storedCatalog(); !equalCatalogs(before, after) {
		t.Fatal("a refused rule changed the catalogue")
	}
	r, body = admin.form("/admin/services/book-appointment/rule", url.Values{"answerDays": {"5"}, "noteSv": {"Vi har semester i juli."}})
	if after, _ := c.storedCatalog(); r.StatusCode != http.StatusSeeOther || after.Services[0].Days() != 5 {
		t.Errorf("longer rule with a note: %d\n%.3000s", r.StatusCode, body)
	}
	// The export imports back.
	if r, body := admin.uploadCatalog([]byte(exported)); r.StatusCode != http.StatusSeeOther {
		t.Errorf("re-import of the export: %d\n%.2000s", r.StatusCode, body)
	}
}

func equalCatalogs(a, b svccat.Catalog) bool {
	x, err1 := a.Encode(svccat.Rules{GroupExists: func(string) bool { return true }})
	y, err2 := b.Encode(svccat.Rules{GroupExists: func(string) bool { return true }})
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// TestServicesImportKeepsVersions: an imported catalogue that changes a
// service under the version it had here gets a version above it, and the
// one it replaced stays readable; a service the file lacks is retired.
func TestServicesImportKeepsVersions(t *testing.T) {
	c := startClinic(t)
	admin := c.login(hsaAdmin)
	admin.form("/admin/services/"+svccat.TestResults+"/enable", nil)
	before, _ := c.storedCatalog()
	r, exported := admin.getBody("/admin/services/export")
	if r.StatusCode != http.StatusOK {
		t.Fatal(r.StatusCode)
	}
	file, err := svccat.Decode(strings.NewReader(exported), svccat.Rules{GroupExists: func(string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	file.History = nil
	changed := file.Services[0]
	changed.Name.SV = "Boka en tid hos oss"
	file.Services[0] = changed
	file.Services = file.Services[:len(file.Services)-1] // drops test-results
	b, _ := file.Encode(svccat.Rules{})
	if r, body := admin.uploadCatalog(b); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("import: %d\n%.2000s", r.StatusCode, body)
	}
	after, _ := c.storedCatalog()
	now, _ := after.Find(changed.ID)
	was, _ := before.Find(changed.ID)
	if now.Version != was.Version+1 || now.Name.SV != "Boka en tid hos oss" {
		t.Errorf("the changed service: version %d (was %d), %q", now.Version, was.Version, now.Name.SV)
	}
	if old, _ := after.Lookup(changed.ID, was.Version); old.Name.SV != was.Name.SV {
		t.Errorf("the replaced version reads %q", old.Name.SV)
	}
	if tr, ok := after.Find(svccat.TestResults); !ok || !tr.Retired {
		t.Errorf("a service the file lacks: %+v", tr)
	}
}
