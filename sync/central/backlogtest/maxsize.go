package backlogtest

import (
	"context"
	"fmt"
	"strings"

	"clinicgw/sync/central"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// MaxForm is a form with wire.MaxFields textarea fields, so that a case
// can carry every answer at its longest (MaxSubmission's form: publish
// it before submitting them).
func MaxForm() wire.FormSet {
	f := wire.Form{ID: string(casetype.AdviceNurse), Version: 1, Title: wire.Text{SV: "Rådgivning"}}
	for j := range wire.MaxFields {
		f.Fields = append(f.Fields, wire.FormField{Name: fmt.Sprintf("q%02d", j),
			Label: wire.Text{SV: strings.Repeat("Fråga ", wire.MaxLabelLen/6)[:wire.MaxLabelLen-20]}, Kind: wire.FieldTextarea})
	}
	return wire.FormSet{Forms: []wire.Form{f}}
}

// MaxText is n characters of Swedish text at its largest in bytes: åäö
// (two bytes each) but for spaces and line breaks, varied by seed.
func MaxText(seed, n int) string {
	words := []string{"åäö", "ÅÄÖ", "öåä", "äöå", "ÄÖÅ"}
	r := make([]rune, 0, n+4)
	for i := seed; len(r) < n; i++ {
		r = append(r, []rune(words[i%len(words)])...)
		if i%16 == 15 {
			r = append(r, '\n')
		} else {
			r = append(r, ' ')
		}
	}
	r = r[:n]
	r[0], r[n-1] = 'Å', 'ö' // no space at either end
	return string(r)
}

// MaxSubmission is the i-th case at the wire's largest (about 220 KB on
// the wire): MaxForm's form, wire.MaxTextLen characters of text,
// wire.MaxFields answers of wire.MaxFieldValueLen characters, a name of
// wire.MaxNameLen.
func MaxSubmission(i int) central.Submission {
	sub := Submission(i)
	sub.FormID = string(casetype.AdviceNurse)
	sub.PatientName = strings.ReplaceAll(MaxText(i, wire.MaxNameLen), "\n", " ")
	sub.Text = MaxText(i, wire.MaxTextLen)
	sub.Fields = make([]wire.Field, wire.MaxFields)
	for j := range sub.Fields {
		sub.Fields[j] = wire.Field{Name: fmt.Sprintf("q%02d", j), Value: MaxText(i+j, wire.MaxFieldValueLen)}
	}
	return sub
}

// SubmitMax puts the maximum-size cases from..to-1 (MaxSubmission) to
// the unit at s, 100 per call; the unit must have published MaxForm.
func SubmitMax(ctx context.Context, s *central.Store, unit string, from, to int) error {
	return submitEach(ctx, s, unit, from, to, 100, MaxSubmission)
}
