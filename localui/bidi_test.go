package localui_test

import (
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// spoof poses as a picture: the override shows "gpj.exe" as "exe.jpg".
const spoof = "\u202egpj.exe"

// bidiControls are the code points the bidi package neutralises.
const bidiControls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"

// receiveSpoof puts in a case whose every patient-written part carries
// bidi controls: name, guardian, text, the form's labels and answers.
func (c *clinic) receiveSpoof() *cases.Case {
	c.t.Helper()
	c.seq++
	pnr := personnummer.Synthetic(time.Date(1981, 3, 2, 0, 0, 0, 0, time.UTC), 980+c.seq%20)
	got, err := c.gw.Cases().Receive(c.t.Context(), cases.Submission{Type: casetype.AdviceNurse,
		Patient: cases.Person{PNR: pnr, Name: "Anna " + spoof},
		Text:    "Jag bifogar " + spoof + " och \u2067ett isolat\u2069 med \u200fmärken\u061c.",
		Fields: []cases.Field{{Name: "symptom", Label: "Besvär " + spoof, Value: "Ont " + spoof},
			{Name: "other", Label: "\u202aInbäddat\u202c", Value: "\u202dÅsidosatt\u202c"}},
		SubmittedAt: c.clock.Now()})
	if err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	c.pnrs = append(c.pnrs, string(pnr))
	c.mu.Unlock()
	return got
}

// TestPagesCarryNoBidiControl: patient text, staff text and unit texts
// with bidi overrides, isolates and marks reach no page or live fragment
// of the staff UI with the controls in them: the output is neutralised in
// the one place pages are written.
func TestPagesCarryNoBidiControl(t *testing.T) {
	c := startClinic(t)
	cs := c.receiveSpoof()
	id := string(cs.ID)
	dist, clin, admin, auditor := c.login(hsaDist), c.login(hsaClinA), c.login(hsaAdmin), c.login(hsaAudit)
	if r, b := dist.form("/cases/"+id+"/assign", url.Values{"assignee": {hsaClinA}, "version": {"1"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign: %d %.300s", r.StatusCode, b)
	}
	if r, b := clin.form("/settings", url.Values{"signature": {"Lars " + spoof}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("signature: %d %.300s", r.StatusCode, b)
	}
	if r, b := admin.form("/admin/unit", url.Values{"standardAnswers": {"Svar " + spoof + "\nText " + spoof}, "contact": {"Ring " + spoof}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("unit settings: %d %.300s", r.StatusCode, b)
	}
	if r, b := clin.form("/cases/"+id+"/send", url.Values{"kind": {"partial"}, "text": {"Svar om " + spoof}, "version": {"2"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("partial answer: %d %.300s", r.StatusCode, b)
	}
	type get struct {
		who  *browser
		path string
		form url.Values // POST when set
	}
	var n int
	for _, g := range []get{
		{dist, "/inbox", nil},
		{dist, "/inbox?part=rows", nil},
		{dist, "/inbox?view=waiting", nil},
		{dist, "/cases/" + id, nil},
		{dist, "/cases/" + id + "?part=case", nil},
		{clin, "/mine", nil},
		{clin, "/mine?part=rows", nil},
		{clin, "/cases/" + id, nil},
		{clin, "/cases/" + id + "?part=case", nil},
		{clin, "/settings", nil},
		{admin, "/admin/unit", nil},
		{auditor, "/audit", url.Values{"kind": {"patient"}, "q": {string(cs.Patient.PNR)}}},
	} {
		var r *http.Response
		var body string
		if g.form != nil {
			r, body = g.who.form(g.path, g.form)
		} else {
			r, body = g.who.getBody(g.path)
		}
		if r.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", g.path, r.StatusCode)
			continue
		}
		if i := strings.IndexAny(body, bidiControls); i >= 0 {
			t.Errorf("%s %s carries the bidi control %+q: %+q", g.who.hsa, g.path, []rune(body[i:])[0], body[max(0, i-80):min(len(body), i+40)])
		}
		n += strings.Count(body, "\ufffdgpj.exe")
	}
	if n == 0 {
		t.Error("no page showed the neutralised name: the test checked nothing")
	}
}

// TestTemplatesHoldNoBidiControl: the UI's own templates and texts carry
// no control for the neutraliser to remove.
func TestTemplatesHoldNoBidiControl(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
			return err
		}
		if ext := filepath.Ext(path); ext != ".html" && ext != ".go" && ext != ".js" && ext != ".css" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.ContainsAny(string(b), bidiControls) {
			t.Errorf("%s holds a bidi control", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
