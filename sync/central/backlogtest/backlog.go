package backlogtest

import (
	"context"
	"strings"
	"time"

	"clinicgw/sync/central"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/patienttext"
	"clinicgw/sync/wire/personnummer"
)

// Patients is how many distinct patients a backlog's cases come from.
const Patients = 20000

// TextBytes is about how long a case's text is.
const TextBytes = 2048

// Submission is the i-th case of a backlog as patients write it: one of
// three default forms with its fields answered, about TextBytes of
// Swedish text (å, ä, ö, line breaks), from patient i % Patients.
func Submission(i int) central.Submission {
	p := i % Patients
	birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, p/20)
	sub := central.Submission{
		PatientPNR:  string(personnummer.Synthetic(birth, 980+p%20)),
		PatientName: []string{"Åsa Öberg", "Märta Ängström", "Björn Nyström", "Göran Lindqvist"}[i%4],
		Text:        SwedishText(i, TextBytes),
	}
	switch i % 3 {
	case 0:
		sub.FormID = string(casetype.SymptomRegistration)
		sub.Fields = []wire.Field{{Name: "symptoms", Value: SwedishText(i+3, 300)}, {Name: "since", Value: "2026-11-30"},
			{Name: "fever", Value: "true"}, {Name: "temperature", Value: "38,7"}}
	case 1:
		sub.FormID = string(casetype.AdviceNurse)
		sub.Fields = []wire.Field{{Name: "question", Value: SwedishText(i+5, 200)}, {Name: "since", Value: "weeks"}}
	default:
		sub.FormID = string(casetype.RenewPrescription)
		sub.Fields = []wire.Field{{Name: "medicine", Value: "Levaxin 50 mikrogram"}, {Name: "howOften", Value: "daily"}}
	}
	return sub
}

// Submit submits the first n cases of the backlog (Submission(0) to
// Submission(n-1)) to the unit at s, a thousand per SubmitBatch.
func Submit(ctx context.Context, s *central.Store, unit string, n int) error {
	return submitEach(ctx, s, unit, 0, n, 1000, Submission)
}

// submitEach submits case(from) to case(to-1) to the unit at s, per in
// each SubmitBatch.
func submitEach(ctx context.Context, s *central.Store, unit string, from, to, per int, c func(int) central.Submission) error {
	for ; from < to; from += per {
		subs := make([]central.Submission, 0, per)
		for i := from; i < min(to, from+per); i++ {
			subs = append(subs, c(i))
		}
		if _, err := s.SubmitBatch(ctx, unit, subs); err != nil {
			return err
		}
	}
	return nil
}

// SwedishText returns at most n bytes of patient text (a little less:
// whole sentences), varied by seed.
func SwedishText(seed, n int) string {
	var sb strings.Builder
	for i := seed; ; i++ {
		s := patienttext.Sentences[i%len(patienttext.Sentences)]
		if sb.Len()+len(s)+2 > n {
			return strings.TrimSpace(sb.String())
		}
		sb.WriteString(s)
		if i%4 == 3 {
			sb.WriteString("\n\n")
		} else {
			sb.WriteByte(' ')
		}
	}
}
