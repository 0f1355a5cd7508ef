package wire

import (
	"fmt"
	"strings"
	"time"

	"clinicgw/sync/wire/patienttext"
)

// Realistic pages for the decoder benchmarks: what the uplink pulls from a
// central store with a backlog, not the small canonical fixtures.

// swedishText returns about n bytes of patient text, varied by seed.
func swedishText(seed, n int) string {
	var sb strings.Builder
	for i := seed; sb.Len() < n; i++ {
		s := patienttext.Sentences[i%len(patienttext.Sentences)]
		if sb.Len()+len(s)+1 > n {
			break
		}
		sb.WriteString(s)
		if i%4 == 3 {
			sb.WriteString("\n\n")
		} else {
			sb.WriteByte(' ')
		}
	}
	return strings.TrimSpace(sb.String())
}

// syntheticPNR returns the i-th of thousands of distinct synthetic
// personnummer: birth dates from 1940 on, serials 980–999 (Skatteverket's
// test range), with the Luhn check digit.
func syntheticPNR(i int) string {
	birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i/20)%(80*365))
	s := fmt.Sprintf("%s%03d", birth.Format("20060102"), 980+i%20)
	sum := 0
	for k, c := range s[2:] { // the check digit covers YYMMDDNNN
		d := int(c - '0')
		if k%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return s + fmt.Sprint((10-sum%10)%10)
}

// realisticCaseID returns a distinct case id for i.
func realisticCaseID(i int) string {
	b := []byte("01jbq3z6m0a8vcs9fkd2x7gq4e")
	for k := len(b) - 1; k > 1 && i > 0; k-- {
		b[k] = "0123456789abcdefghjkmnpqrstvwxyz"[i%32]
		i /= 32
	}
	return string(b)
}

// realisticNewCase is the i-th new case: one of the default forms' types
// with their fields filled as a patient would, about 2 KiB of text.
func realisticNewCase(i int) *NewCase {
	c := &NewCase{
		Patient: Person{PNR: syntheticPNR(i), Name: []string{"Åsa Öberg", "Märta Ängström", "Björn Nyström", "Göran Lindqvist"}[i%4]},
		Text:    swedishText(i, 2048),
	}
	switch i % 3 {
	case 0:
		c.Type = "symptom-registration"
		c.Fields = []Field{
			{Name: "symptoms", Label: "Vilka symtom har du?", Value: swedishText(i+3, 300)},
			{Name: "since", Label: "Sedan när?", Value: "2026-11-30"},
			{Name: "fever", Label: "Jag har feber", Value: "true"},
			{Name: "temperature", Label: "Högsta temperatur", Value: "38,7"},
		}
	case 1:
		c.Type = "advice-nurse"
		c.Fields = []Field{
			{Name: "question", Label: "Vad vill du ha råd om?", Value: swedishText(i+5, 200)},
			{Name: "since", Label: "Hur länge har du haft besvären?", Value: "Några veckor"},
		}
	default:
		c.Type = "renew-prescription"
		c.Fields = []Field{
			{Name: "medicine", Label: "Läkemedlets namn och styrka", Value: "Levaxin 50 mikrogram"},
			{Name: "howOften", Label: "Hur ofta tar du läkemedlet?", Value: "Varje dag"},
		}
	}
	if i%10 == 0 { // a child's case, sent by a guardian
		c.Guardian = &Person{PNR: syntheticPNR(i + 7919), Name: "Karin Åkesson"}
	}
	return c
}

// realisticChainedPage returns the bytes of a full chained page (as the
// central store writes it with Marshal) of MaxInboxLimit new cases, the
// first with seq first.
func realisticChainedPage(first int) []byte {
	var p ChainedPage
	for i := first; i < first+MaxInboxLimit; i++ {
		p.Events = append(p.Events, Event{Seq: uint64(i), ID: fmt.Sprint("ev-", i), Kind: EventCaseCreated,
			CaseID: realisticCaseID(i), At: t0.Add(time.Duration(i) * time.Second), Case: realisticNewCase(i)})
	}
	base := Genesis(goldenIncarnation)
	p.Cursor, p.More = uint64(first+MaxInboxLimit-1), true
	p.Chain = Chain{Incarnation: goldenIncarnation, Head: p.Cursor + 100000, Base: base.String(), End: ChainOf(base, p.Events).String()}
	b, err := Marshal(p)
	if err != nil {
		panic(err)
	}
	return b
}
