package report

import (
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"

	"clinicgw/agent/cases"
	"clinicgw/agent/labels"
	"clinicgw/sync/wire/casetype"
	wirelabels "clinicgw/sync/wire/labels"
)

// Statuses are the case statuses in the order charts and tables show
// them: along the workflow.
var Statuses = []cases.Status{
	cases.Received, cases.Assigned, cases.PartiallyAnswered, cases.WaitingForPatient,
	cases.Answered, cases.Closed, cases.Withdrawn,
}

// TypeName is case type t's name in lang ("en" for English, anything else
// for Swedish), from labels, the one home of the names. An unknown type
// (a statistic of a type no longer offered) is shown as its id, unescaped:
// the caller escapes it like any other text.
func TypeName(t casetype.Type, lang string) string {
	if _, _, ok := labels.Known("casetype.Type", string(t)); !ok {
		return string(t)
	}
	return wirelabels.Type(t, lang)
}

// StatusName is status s's name in lang ("en" for English, anything else
// for Swedish), from labels. An unknown status is shown as its id.
func StatusName(s cases.Status, lang string) string {
	if _, _, ok := labels.Known("cases.Status", string(s)); !ok {
		return string(s)
	}
	return labels.Status(s, lang)
}

// ordered returns known in order followed by the other keys, sorted and
// without repeats: the fixed order every chart and table uses.
func ordered[K ~string](known []K, keys ...iter.Seq[K]) []K {
	out := slices.Clone(known)
	var extra []K
	for _, ks := range keys {
		for k := range ks {
			if !slices.Contains(known, k) && !slices.Contains(extra, k) {
				extra = append(extra, k)
			}
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

// texts are the words of the charts and the CSV in one language.
type texts struct {
	lang    string
	decimal string // the decimal separator in charts

	empty, emptyAnswered string

	byType, byStatus, handling, weeks, open string // chart titles
	cases, hours                            string // axis captions
	total, allTypes                         string
	median, p90                             string
	received, answered                      string
	unanswered, overdue, ofReceived         string
	weekLabel                               func(year, week int) string

	// CSV headers and sections.
	section, name, allCases string
	caseType, status, week  string
	medianHours, p90Hours   string
}

var sv = &texts{
	lang:          "sv",
	decimal:       ",",
	empty:         "Inga ärenden under perioden",
	emptyAnswered: "Inga besvarade ärenden under perioden",
	byType:        "Ärenden per ärendetyp",
	byStatus:      "Ärenden per status",
	handling:      "Handläggningstid per ärendetyp",
	weeks:         "Mottagna och besvarade ärenden per vecka",
	open:          "Obesvarade och försenade ärenden",
	cases:         "Antal ärenden",
	hours:         "Timmar från mottaget ärende till första svar",
	total:         "Totalt",
	allTypes:      "Alla ärendetyper",
	median:        "Median",
	p90:           "P90",
	received:      "Mottagna",
	answered:      "Besvarade",
	unanswered:    "Obesvarade",
	overdue:       "Försenade",
	ofReceived:    "av %s mottagna",
	weekLabel:     func(y, w int) string { return "v. " + strconv.Itoa(w) + ", " + strconv.Itoa(y) },
	section:       "Avsnitt",
	name:          "Namn",
	allCases:      "Alla ärenden",
	caseType:      "Ärendetyp",
	status:        "Status",
	week:          "Vecka",
	medianHours:   "Median (timmar)",
	p90Hours:      "P90 (timmar)",
}

var en = &texts{
	lang:          "en",
	decimal:       ".",
	empty:         "No cases in the period",
	emptyAnswered: "No answered cases in the period",
	byType:        "Cases by case type",
	byStatus:      "Cases by status",
	handling:      "Handling time by case type",
	weeks:         "Cases received and answered per week",
	open:          "Unanswered and overdue cases",
	cases:         "Number of cases",
	hours:         "Hours from receipt to first answer",
	total:         "Total",
	allTypes:      "All case types",
	median:        "Median",
	p90:           "P90",
	received:      "Received",
	answered:      "Answered",
	unanswered:    "Unanswered",
	overdue:       "Overdue",
	ofReceived:    "of %s received",
	weekLabel:     func(y, w int) string { return "Week " + strconv.Itoa(w) + ", " + strconv.Itoa(y) },
	section:       "Section",
	name:          "Name",
	allCases:      "All cases",
	caseType:      "Case type",
	status:        "Status",
	week:          "Week",
	medianHours:   "Median (hours)",
	p90Hours:      "P90 (hours)",
}

func textsFor(lang string) *texts {
	if lang == "en" {
		return en
	}
	return sv
}

// hoursText formats h with one decimal, rounded half away from zero, and
// t's decimal separator.
func (t *texts) hoursText(h float64) string {
	return strings.Replace(strconv.FormatFloat(math.Round(h*10)/10, 'f', 1, 64), ".", t.decimal, 1) + " h"
}
