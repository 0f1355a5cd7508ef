package i18n

import "golang.org/x/text/message/catalog"

// Notices (agent/notify) take two arguments: the number of cases (1) and
// the unit's name (2). They are sent in Swedish: a notice goes to an
// address, not to a person whose language the gateway knows; the English
// is kept beside it for the day it does. An SMS carries the subject only.
// Neither says anything about a patient.

// noticeTexts are the notices' plain texts, by notify.Kind.
var noticeTexts = map[string]text{
	"mail.new-cases.subject": {"Nytt i e-tjänsten – %[2]s", "New in the e-service – %[2]s"},
	"mail.assigned.subject":  {"Du har fått ett ärende – %[2]s", "You have been given a case – %[2]s"},
	"mail.assigned.body": {"Ett ärende i e-tjänsten för %[2]s har tilldelats dig.\nLogga in med ditt SITHS-kort för att läsa det.\n\n" + noticeFootSV,
		"A case in the e-service of %[2]s has been assigned to you.\nLog in with your SITHS card to read it.\n\n" + noticeFootEN},
	"mail.overdue.subject": {"Ärenden har passerat svarstiden – %[2]s", "Cases have passed their due time – %[2]s"},
}

const (
	noticeFootSV = "Meddelandet är automatiskt och innehåller inga patientuppgifter."
	noticeFootEN = "This message is automatic and holds no patient data."
)

// noticeCounted are the notices' texts whose words follow the count.
var noticeCounted = map[string]counted{
	"mail.new-cases.body": {"ds",
		[]catalog.Message{
			catalog.Var("arrived", one(1, "Ett nytt ärende har", "%[1]d nya ärenden har")),
			catalog.Var("it", one(1, "det", "dem")),
			catalog.String("${arrived} kommit till %[2]s i e-tjänsten.\nLogga in med ditt SITHS-kort för att läsa ${it}.\n\n" + noticeFootSV)},
		[]catalog.Message{
			catalog.Var("arrived", one(1, "A new case has", "%[1]d new cases have")),
			catalog.Var("it", one(1, "it", "them")),
			catalog.String("${arrived} arrived at %[2]s in the e-service.\nLog in with your SITHS card to read ${it}.\n\n" + noticeFootEN)}},
	"mail.overdue.body": {"ds",
		[]catalog.Message{
			catalog.Var("cases", one(1, "Ett ärende", "%[1]d ärenden")),
			catalog.String("${cases} i e-tjänsten för %[2]s har passerat svarstiden.\nLogga in med ditt SITHS-kort och se listan Försenade.\n\n" + noticeFootSV)},
		[]catalog.Message{
			catalog.Var("cases", one(1, "A case", "%[1]d cases")),
			catalog.Var("passed", one(1, "has passed its", "have passed their")),
			catalog.String("${cases} in the e-service of %[2]s ${passed} due time.\nLog in with your SITHS card and see the list Overdue.\n\n" + noticeFootEN)}},
}
