package i18n

import (
	"maps"
	"slices"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// text is a plain text: Swedish, then English. It may hold fmt verbs
// (%s, %d) for its arguments.
type text [2]string

// counted is a text whose words follow its numbers: args are its
// arguments' verbs in order ("d" a number, "s" a string: "dd", "ds"); sv
// and en are x/text messages built with one, and with catalog.Var for a
// second number.
type counted struct {
	args   string
	sv, en []catalog.Message
}

// one is a message whose words follow argument arg's (1 for the first)
// plural category: one for 1, other for every other number.
func one(arg int, one, other string) catalog.Message {
	return plural.Selectf(arg, "%d", "one", one, "other", other)
}

// tables are every plain text, by the part of the product that shows it.
var tables = []map[string]text{uiTexts, formsTexts, catalogTexts, servicesTexts, reportTexts, noticeTexts, codeTexts, centralTexts, cardTexts, casesTexts, identityTexts, bridgeTexts, groupsTexts, bookingTexts, centralBookingTexts, diaryTexts, reminderTexts, centralReminderTexts, bookflowTexts, diaryStatsTexts, diaryCaseTexts, centralAccountTexts}

// countedTables are every counted text.
var countedTables = []map[string]counted{uiCounted, noticeCounted}

var (
	sv = language.Swedish
	en = language.English

	// asWritten are the plain texts without verbs, by key; every key of
	// the catalogue is in keys.
	asWritten = map[string]text{}
	keys      = map[string]bool{}

	printers = func() map[string]*message.Printer {
		b := catalog.NewBuilder(catalog.Fallback(sv))
		add := func(key string) {
			if keys[key] {
				panic("i18n: key " + key + " twice")
			}
			keys[key] = true
		}
		for _, t := range tables {
			for k, v := range t {
				add(k)
				if !strings.Contains(v[0]+v[1], "%") {
					asWritten[k] = v
				}
				must(b.SetString(sv, k, v[0]))
				must(b.SetString(en, k, v[1]))
			}
		}
		for _, t := range countedTables {
			for k, v := range t {
				add(k)
				must(b.Set(sv, k, v.sv...))
				must(b.Set(en, k, v.en...))
			}
		}
		return map[string]*message.Printer{
			"sv": message.NewPrinter(sv, message.Catalog(b)),
			"en": message.NewPrinter(en, message.Catalog(b)),
		}
	}()
)

func must(err error) {
	if err != nil {
		panic("i18n: " + err.Error())
	}
}

// T is the text for key in lang ("en" for English, anything else for
// Swedish), with args in place of its verbs; a counted text's words follow
// its numbers. A key the catalogue does not hold is returned as it is.
func T(lang, key string, args ...any) string {
	if !keys[key] {
		return key
	}
	if t, ok := asWritten[key]; ok && len(args) == 0 {
		// A text without verbs is as written (a test checks the printer
		// agrees); most of a page's texts take this path.
		if lang == "en" {
			return t[1]
		}
		return t[0]
	}
	p := printers["sv"]
	if lang == "en" {
		p = printers["en"]
	}
	return p.Sprintf(key, args...)
}

// Name is the name of code of kind ("status", "type", "fieldKind" … —
// codeTexts' kinds) in lang; a code the catalogue does not name is shown
// as the code itself, marked (code.unknown), so that it is never taken for
// a word.
func Name(lang, kind, code string) string {
	if key := kind + "." + code; keys[key] {
		return T(lang, key)
	}
	return T(lang, "code.unknown", code)
}

// Has reports whether the catalogue holds key.
func Has(key string) bool { return keys[key] }

// Keys are every key of the catalogue, sorted.
func Keys() []string { return slices.Sorted(maps.Keys(keys)) }
