package booking

import (
	"strconv"
	"strings"
	"time"

	"clinicgw/sync/bidi"
	"clinicgw/sync/i18n"
)

// What a reminder says. Its only inputs are the unit's name, address and
// patient-page link (configuration and the unit's published contact
// details, not patient data), the visit's start shown as Stockholm wall
// clock, the patient's chosen language, and the time type's patient name
// when reminderTypeName lets it through. The API takes nothing else: no
// personnummer, no clinician, no staff name of a type.

// neutralTypeNames are the only time-type names a reminder may carry:
// words that say how the visit happens, never why. The unit writes its
// patient names freely ("Psykologbesök", "BVC 4 år"), so the rule is a
// list of what may go out, not of what may not: a name that is not on it,
// written exactly so apart from case and surrounding spaces, is left out.
var neutralTypeNames = []string{
	"besök", "återbesök", "nybesök", "mottagningsbesök", "tid", "bokad tid",
	"telefontid", "telefonsamtal", "videobesök", "digitalt besök",
}

// reminderTypeName is name as a reminder may show it, or "" when it must
// not go out.
func reminderTypeName(name string) string {
	n := strings.TrimSpace(name)
	l := strings.ToLower(n)
	for _, ok := range neutralTypeNames {
		if l == ok {
			return n
		}
	}
	return ""
}

// reminderUnit is what a reminder says of the unit.
type reminderUnit struct {
	Name    string
	Address string // the visiting address, lines joined with ", "
	Link    string // the unit's patient pages
}

// reminderMessage is a reminder's text: an e-mail's subject and body, and
// the SMS.
type reminderMessage struct {
	Subject, Body, SMS string
}

// oneLine joins a text's lines with ", " and neutralises bidi controls.
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r", "\n"), "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			parts = append(parts, l)
		}
	}
	return bidi.Neutralise(strings.Join(parts, ", "))
}

// reminderLang is the language of a reminder: English if the patient
// chose it, else Swedish.
func reminderLang(lang string) string {
	if lang == "en" {
		return "en"
	}
	return "sv"
}

// reminderWhen is the start as the patient reads it: weekday, date and
// Stockholm wall-clock time ("söndag 29 mars 2026 kl. 10:00").
func reminderWhen(start time.Time, lang string) string {
	l := Local(start)
	day := i18n.T(lang, "reminder.day."+strconv.Itoa(int(l.Weekday()))) + " " + strconv.Itoa(l.Day()) + " " +
		i18n.T(lang, "reminder.month."+strconv.Itoa(int(l.Month()))) + " " + strconv.Itoa(l.Year())
	return i18n.T(lang, "reminder.when", day, l.Format("15:04"))
}

// reminderText renders a reminder of a visit at start.
func reminderText(u reminderUnit, start time.Time, lang, typeName string) reminderMessage {
	lang = reminderLang(lang)
	name, addr, link := oneLine(u.Name), oneLine(u.Address), oneLine(u.Link)
	when := reminderWhen(start, lang)
	visit := i18n.T(lang, "reminder.visit", name, when)
	if t := reminderTypeName(typeName); t != "" {
		visit = i18n.T(lang, "reminder.visitType", name, when, oneLine(t))
	}
	body := []string{i18n.T(lang, "reminder.greeting") + "\n", visit + "\n"}
	sms := []string{i18n.T(lang, "reminder.sms"), visit}
	if addr != "" {
		body = append(body, i18n.T(lang, "reminder.address", addr)+"\n")
		sms = append(sms, i18n.T(lang, "reminder.address", addr)+".")
	}
	if link != "" {
		body = append(body, i18n.T(lang, "reminder.link", link)+"\n")
		sms = append(sms, i18n.T(lang, "reminder.smsLink", link))
	}
	body = append(body, i18n.T(lang, "reminder.foot"))
	return reminderMessage{
		Subject: i18n.T(lang, "reminder.subject", name),
		Body:    strings.Join(body, "\n"),
		SMS:     strings.Join(sms, " "),
	}
}
