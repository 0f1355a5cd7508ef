package central

import (
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// bidiControls are the code points the bidi package neutralises.
const bidiControls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"

// TestPatientPagesCarryNoBidiControl: the patient's own text and form
// answers, their name, and the staff's answer, signature and title with
// bidi overrides reach the patient pages neutralised.
func TestPatientPagesCarryNoBidiControl(t *testing.T) {
	e := newEnv(t)
	spoof := "\u202egpj.exe"
	b := e.browser()
	b.login(adultPNR, "Tolvan "+spoof)
	id, err := e.store.Submit(e.ctx, unitA, Submission{
		PatientPNR: adultPNR, PatientName: adultName + " " + spoof, FormID: string(casetype.AdviceNurse),
		Fields: []wire.Field{{Name: "question", Value: "Ont " + spoof}}, Text: "Bifogar " + spoof + " \u2067x\u2069\u200f",
	})
	if err != nil {
		t.Fatal(err)
	}
	e.outbox(unitA, wire.OutboxItem{IdempotencyKey: "b-1", CaseID: id, Kind: wire.OutboxAnswer,
		At:      time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
		Message: &wire.StaffMessage{ID: "m-b-1", Text: "Svar " + spoof, Signature: "Doris " + spoof, AuthorTitle: "Läkare " + spoof}})
	n := 0
	for _, path := range []string{"/", "/arenden/" + id} {
		p := b.get(path)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", path, p.status)
		}
		if i := strings.IndexAny(p.body, bidiControls); i >= 0 {
			t.Errorf("%s carries the bidi control %+q: %+q", path, []rune(p.body[i:])[0], p.body[max(0, i-80):min(len(p.body), i+40)])
		}
		n += strings.Count(p.body, "\ufffdgpj.exe")
	}
	// A refused form shows the answers back.
	refused := b.post("/skriv/"+unitA+"/symptom-registration", url.Values{"f.symptoms": {"Hosta " + spoof}, "f.fever": {"true"}, "text": {spoof}})
	if i := strings.IndexAny(refused.body, bidiControls); refused.status != http.StatusBadRequest || i >= 0 {
		t.Errorf("refused form: %d, control at %d", refused.status, i)
	}
	if n < 4 {
		t.Errorf("the neutralised text was shown %d times, want at least 4 (text, answer, signature, title)", n)
	}
}

// TestTemplatesHoldNoBidiControl: the pages' own templates and texts carry
// no control for the neutraliser to remove.
func TestTemplatesHoldNoBidiControl(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
			return err
		}
		if ext := filepath.Ext(path); ext != ".html" && ext != ".go" && ext != ".css" {
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
