package store

import (
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
)

// TestEncodeCaseAllocatesOnce: a case's record is encoded into one buffer
// sized for it, not one grown by doubling (a new case of 2 KiB of text
// took four: every byte garbage, on the path of every case of a backlog).
func TestEncodeCaseAllocatesOnce(t *testing.T) {
	at := time.Date(2026, 12, 7, 8, 30, 0, 0, time.UTC)
	text := strings.Repeat("Jag har haft ont i halsen sedan i tisdags, och det blir inte bättre.\n\nFebern gick upp till 38,7 grader i natt. ", 18)
	realistic := &cases.Case{ID: "01jbq3z6m0a8vcs9fkd2x7gq4e", Unit: "SE2321000016-A1B2", Type: "symptom-registration",
		Patient: cases.Person{PNR: "194001019806", Name: "Märta Ängström"},
		Fields: []cases.Field{{Name: "symptoms", Label: "Vilka symtom har du?", Value: text[:300]}, {Name: "since", Label: "Sedan när?", Value: "2026-11-30"},
			{Name: "fever", Label: "Jag har feber", Value: "true"}, {Name: "temperature", Label: "Högsta temperatur", Value: "38,7"}},
		Status: "new", Group: "triage", SentAt: at, ReceivedAt: at, DueAt: at.AddDate(0, 0, 3), ServiceVersion: 1, AnswerDays: 3,
		Messages: []cases.Message{{ID: "m-01jbq3z6m0a8vcs9fkd2x7gq4e", Kind: "patient", Author: "patient", Text: text, At: at}},
		History:  []cases.Event{{At: at, Actor: "patient", Action: "submit", To: "new", Group: "triage"}},
		Version:  1,
	}
	for name, c := range map[string]*cases.Case{
		"realistic": realistic, "every field": fullCase("plain", at), "long strings": fullCase(strings.Repeat("x", 3000), at),
	} {
		checkEncodeCase(t, c)
		if n := testing.AllocsPerRun(20, func() { encodeCase(c) }); n != 1 {
			t.Errorf("%s: encodeCase made %v allocations, want 1", name, n)
		}
	}
}
