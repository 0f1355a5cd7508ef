package i18n

// bookingTexts are the booking authority's declines (agent/booking): what
// a patient or staff member is told when a time cannot be booked,
// rebooked, cancelled or marked. Nothing was changed when one is shown.
var bookingTexts = map[string]text{
	"booking.declined.taken":          {"Tiden är redan bokad av någon annan. Välj en annan tid.", "The time has already been booked by someone else. Choose another time."},
	"booking.declined.released":       {"Tiden går inte längre att boka via webben. Ring mottagningen för att boka.", "The time can no longer be booked online. Call the clinic to book."},
	"booking.declined.tooLate":        {"Det är för sent att ändra tiden via webben. Ring mottagningen.", "It is too late to change the time online. Call the clinic."},
	"booking.declined.notFound":       {"Tiden finns inte. Välj en tid i listan.", "The time does not exist. Choose a time from the list."},
	"booking.declined.inPast":         {"Tiden har redan varit. Välj en senare tid.", "The time has already passed. Choose a later time."},
	"booking.declined.wrongType":      {"Du kan bara byta till en tid av samma slag.", "You can only move to a time of the same kind."},
	"booking.declined.wrongClinician": {"Du kan bara byta till en tid hos samma behandlare.", "You can only move to a time with the same clinician."},
	"booking.declined.wrongLength":    {"Du kan bara byta till en tid av samma längd.", "You can only move to a time of the same length."},
	"booking.declined.holdExpired":    {"Tiden hölls åt dig för länge sedan och har släppts. Välj tiden igen.", "The time was held for you too long ago and has been let go. Choose the time again."},
	"booking.declined.notAllowed":     {"Mottagningen tillåter inte den ändringen för den här tiden. Ring mottagningen.", "The clinic does not allow that change for this time. Call the clinic."},
	"booking.declined.staffOnly":      {"Den här tiden bokas bara av mottagningen. Ring mottagningen.", "This time is booked by the clinic only. Call the clinic."},
	"booking.declined.notBooked":      {"Tiden är inte bokad, så det finns inget att ändra.", "The time is not booked, so there is nothing to change."},
	"booking.declined.notYours":       {"Bokningen är inte din. Logga in som den som bokade.", "The booking is not yours. Log in as the person who booked."},
	"booking.declined.reasonRequired": {"Skriv varför tiden avbokas.", "Write why the time is cancelled."},
	"booking.declined.notYet":         {"Det går inte än: besöket har inte börjat. Försök igen vid besöket.", "Not yet: the visit has not begun. Try again at the visit."},
	// The gateway's declines of a request it could not read safely
	// (sync/wire/bookingsealed.go): nothing was booked.
	"booking.declined.unreadable": {"Bokningen kunde inte läsas säkert hos mottagningen och gjordes inte. Försök igen, eller ring mottagningen.", "The booking could not be read securely at the clinic and was not made. Try again, or call the clinic."},
	"booking.declined.notSealed":  {"Bokningen kom inte fram skyddad till mottagningen och gjordes inte. Försök igen, eller ring mottagningen.", "The booking did not reach the clinic protected and was not made. Try again, or call the clinic."},
	"booking.declined.badRequest": {"Bokningen är ofullständig eller felaktig. Börja om och välj en tid.", "The booking is incomplete or wrong. Start again and choose a time."},
}
