package backlogtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestSubmission: the backlog is what the benchmarks' figures say it is,
// and the same in every run: texts of about 2 KiB of valid UTF-8 Swedish
// with å, ä and ö, Patients distinct patients over as many cases, each
// personnummer a valid synthetic one, the three default forms in turn.
func TestSubmission(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	patients := map[string]bool{}
	forms := map[string]int{}
	h := sha256.New()
	for i := range Patients {
		sub := Submission(i)
		if i < 100 {
			b, err := json.Marshal(sub)
			if err != nil {
				t.Fatal(err)
			}
			h.Write(b)
		}
		if n := len(sub.Text); n < TextBytes-100 || n > TextBytes {
			t.Fatalf("case %d: text of %d bytes, want about %d", i, n, TextBytes)
		}
		if !utf8.ValidString(sub.Text) || !strings.ContainsAny(sub.Text, "å") || !strings.ContainsAny(sub.Text, "ä") || !strings.ContainsAny(sub.Text, "ö") {
			t.Fatalf("case %d: text is not valid UTF-8 Swedish with å, ä and ö: %q", i, sub.Text)
		}
		p, err := personnummer.Parse(sub.PatientPNR, now)
		if err != nil {
			t.Fatalf("case %d: personnummer %s: %v", i, sub.PatientPNR, err)
		}
		if serial := sub.PatientPNR[len(sub.PatientPNR)-4 : len(sub.PatientPNR)-1]; serial < "980" {
			t.Fatalf("case %d: %s is not in the synthetic series (980–999)", i, p)
		}
		patients[sub.PatientPNR] = true
		forms[sub.FormID]++
	}
	if len(patients) != Patients {
		t.Errorf("%d distinct patients over %d cases, want %d", len(patients), Patients, Patients)
	}
	for _, f := range []casetype.Type{casetype.SymptomRegistration, casetype.AdviceNurse, casetype.RenewPrescription} {
		if forms[string(f)] < Patients/3 {
			t.Errorf("form %s: %d cases of %d", f, forms[string(f)], Patients)
		}
	}
	if Submission(Patients).PatientPNR != Submission(0).PatientPNR {
		t.Error("case Patients is not from the first patient again")
	}
	// The first 100 cases, pinned: a change here changes every backlog
	// figure, so it must be deliberate.
	const want = "ac3eb71079d68a9db5e434d592b900fec51f7e3a6c11f4d6f24a4895b9a30add"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("the first 100 cases hash to %s, want %s", got, want)
	}
}
