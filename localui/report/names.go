package report

import (
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"

	"clinicgw/agent/cases"
	"clinicgw/agent/labels"
	"clinicgw/sync/i18n"
	"clinicgw/sync/wire"
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
	svc     Services // the unit's services (with)
	lang    string
	decimal string // the decimal separator in charts

	empty, emptyAnswered string

	byType, byStatus, handling, weeks, open string // chart titles
	cases, hours                            string // axis captions
	total, allTypes                         string
	median, p90                             string
	received, answered                      string
	unanswered, overdue                     string
	ofReceived                              func(n string) string // of n received
	weekLabel                               func(year, week int) string

	// CSV headers and sections.
	section, name, allCases string
	caseType, status, week  string
	medianHours, p90Hours   string
}

var sv, en = textsIn("sv"), textsIn("en")

// textsIn are the words of lang, from the one catalogue (sync/i18n).
func textsIn(lang string) *texts {
	t := func(key string) string { return i18n.T(lang, "report."+key) }
	return &texts{
		lang:          lang,
		decimal:       t("decimal"),
		empty:         t("empty"),
		emptyAnswered: t("emptyAnswered"),
		byType:        t("byType"),
		byStatus:      t("byStatus"),
		handling:      t("handling"),
		weeks:         t("weeks"),
		open:          t("open"),
		cases:         t("cases"),
		hours:         t("hours"),
		total:         t("total"),
		allTypes:      t("allTypes"),
		median:        t("median"),
		p90:           t("p90"),
		received:      t("received"),
		answered:      t("answered"),
		unanswered:    t("unanswered"),
		overdue:       t("overdue"),
		ofReceived:    func(n string) string { return i18n.T(lang, "report.ofReceived", n) },
		weekLabel: func(y, w int) string {
			return i18n.T(lang, "report.weekLabel", strconv.Itoa(w), strconv.Itoa(y))
		},
		section:     t("section"),
		name:        t("name"),
		allCases:    t("allCases"),
		caseType:    t("caseType"),
		status:      t("status"),
		week:        t("week"),
		medianHours: t("medianHours"),
		p90Hours:    t("p90Hours"),
	}
}

// Services are the unit's services as charts and tables show them: in
// Order (the catalogue's), named by Names (Swedish and English); the
// zero value is the built-in case types and names.
type Services struct {
	Order []casetype.Type
	Names map[casetype.Type]wire.Text
}

// with is t showing svc's services.
func (t *texts) with(svc Services) *texts {
	c := *t
	c.svc = svc
	return &c
}

// types are the case types in the order shown.
func (t *texts) types() []casetype.Type {
	if t.svc.Order != nil {
		return t.svc.Order
	}
	return casetype.All
}

// typeName is case type ty's name in lang: the unit's service's, else
// TypeName.
func (t *texts) typeName(ty casetype.Type, lang string) string {
	if n, ok := t.svc.Names[ty]; ok && n.SV != "" {
		if lang == "en" && n.EN != "" {
			return n.EN
		}
		return n.SV
	}
	return TypeName(ty, lang)
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
