package i18n

// centralBookingTexts are the reference central store's online booking
// pages (sync/central): choosing a type, the free times by day,
// confirming, "Bokade tider" with rebook and cancel, and what a patient is
// told when the gateway declined.
var centralBookingTexts = map[string]text{
	"central.page.booking.heading":        {"Boka tid", "Book an appointment"},
	"central.page.booking.chooseType":     {"Välj vad du vill boka", "Choose what to book"},
	"central.page.booking.freeTimes":      {"Lediga tider", "Free times"},
	"central.page.booking.noTimes":        {"Det finns inga lediga tider att boka via webben just nu. Ring mottagningen för att boka.", "There are no free times to book online right now. Call the clinic to book."},
	"central.page.booking.weeks":          {"Fler veckor", "More weeks"},
	"central.page.booking.already":        {"Du har redan den här tiden. Se Bokade tider.", "You already have this time. See Booked appointments."},
	"central.page.booking.earlier":        {"Tidigare tider", "Earlier times"},
	"central.page.booking.later":          {"Senare tider", "Later times"},
	"central.page.booking.unavailable":    {"Vårdenheten tar inte emot bokningar via webben. Ring mottagningen för att boka.", "The care unit does not take online bookings. Call the clinic to book."},
	"central.page.booking.confirmHeading": {"Bekräfta tiden", "Confirm the time"},
	"central.page.booking.confirm":        {"Boka tiden", "Book the time"},
	"central.page.booking.confirmRebook":  {"Boka om till den här tiden", "Move to this time"},
	"central.page.booking.confirmCancel":  {"Avboka tiden", "Cancel the time"},
	"central.page.booking.with":           {"hos %s", "with %s"},
	"central.page.booking.minutes":        {"%s minuter", "%s minutes"},
	"central.page.booking.pending":        {"Din begäran är skickad till mottagningen. Ladda om sidan om en stund för att se svaret.", "Your request has been sent to the clinic. Reload the page in a moment to see the answer."},
	"central.page.booking.confirmed":      {"Klart: mottagningen har bekräftat.", "Done: the clinic has confirmed."},
	"central.page.booking.declined":       {"Mottagningen kunde inte genomföra det.", "The clinic could not do it."},
	"central.page.booking.alternatives":   {"Närmaste lediga tider av samma slag", "The nearest free times of the same kind"},
	"central.page.booking.mine":           {"Bokade tider", "Booked appointments"},
	"central.page.booking.none":           {"Du har inga bokade tider hos vårdenheten.", "You have no booked appointments with the care unit."},
	"central.page.booking.rebook":         {"Boka om", "Rebook"},
	"central.page.booking.cancel":         {"Avboka", "Cancel"},
	"central.page.booking.back":           {"Tillbaka till Boka tid", "Back to Book an appointment"},
	"central.page.booking.bad":            {"Bokningen är ofullständig. Börja om och välj en tid i listan.", "The booking is incomplete. Start again and choose a time from the list."},
	"central.page.booking.oldTypeLink":    {"Länken gäller inte längre: den typen av besök finns inte, eller har inga lediga tider just nu. Välj typ av besök nedan.", "The link no longer works: that kind of visit does not exist, or has no free times at the moment. Choose a kind of visit below."},
	"central.page.booking.gone":           {"Tiden finns inte längre att boka. Välj en annan tid i listan.", "The time can no longer be booked. Choose another time from the list."},
	"central.page.booking.notYours":       {"Du har ingen sådan bokning. Se Bokade tider.", "You have no such booking. See Booked appointments."},
}
