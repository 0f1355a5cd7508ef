package i18n

// bookflowTexts are the booking flow between the patient pages, the
// central store and the staff: what a patient is told of the unit's own
// changes, and the declines of the patient pages' and the gateway's input
// checks.
var bookflowTexts = map[string]text{
	"central.page.booking.canceledByUnit": {"Avbokade av mottagningen", "Cancelled by the clinic"},
	"central.page.booking.canceledHelp":   {"Mottagningen har avbokat de här tiderna. Boka en ny tid nedan eller ring mottagningen om du har frågor.", "The clinic has cancelled these appointments. Book a new time below, or call the clinic if you have questions."},
	"central.page.booking.forWhom":        {"För vem bokar du?", "Who are you booking for?"},
	"central.page.booking.asGuardian":     {"Jag bokar för mitt barn (under 13 år)", "I am booking for my child (under 13)"},
	"central.page.booking.forChild":       {"(för %s)", "(for %s)"},
	"central.page.booking.noRebook":       {"Den här tiden kan inte bokas om via webben. Ring mottagningen.", "This appointment cannot be rebooked online. Call the clinic."},
	"central.page.booking.noCancel":       {"Den här tiden kan inte avbokas via webben. Ring mottagningen.", "This appointment cannot be cancelled online. Call the clinic."},
}
