package i18n

// reminderTexts are the booking reminders a patient who consented gets
// by SMS or e-mail before a visit (agent/booking's reminders). Their only
// inputs are the unit's name, the visit's day and Stockholm time, the
// unit's address, the link to the patient pages and a time type's name
// that is on the neutral list; never a personnummer, a name, a clinician
// or a word about health. Swedish unless the patient chose English.
var reminderTexts = map[string]text{
	"reminder.subject":          {"Påminnelse om din tid hos %[1]s", "Reminder of your appointment at %[1]s"},
	"reminder.greeting":         {"Hej!", "Hello,"},
	"reminder.visit":            {"Du har en tid hos %[1]s %[2]s.", "You have an appointment at %[1]s on %[2]s."},
	"reminder.visitType":        {"Du har en tid (%[3]s) hos %[1]s %[2]s.", "You have an appointment (%[3]s) at %[1]s on %[2]s."},
	"reminder.when":             {"%[1]s kl. %[2]s", "%[1]s at %[2]s"},
	"reminder.address":          {"Adress: %[1]s", "Address: %[1]s"},
	"reminder.link":             {"Se din bokning, omboka eller avboka: %[1]s", "See, rebook or cancel your booking: %[1]s"},
	"reminder.foot":             {"Meddelandet är automatiskt och går inte att svara på.", "This message is automatic; replies are not read."},
	"reminder.sms":              {"Påminnelse:", "Reminder:"},
	"reminder.smsLink":          {"Se din bokning: %[1]s", "See your booking: %[1]s"},
	"diary.admin.reminderHours": {"Påminnelse timmar före (högst 168; 0: 24)", "Reminder hours before (at most 168; 0: 24)"},
	"reminder.day.0":            {"söndag", "Sunday"},
	"reminder.day.1":            {"måndag", "Monday"},
	"reminder.day.2":            {"tisdag", "Tuesday"},
	"reminder.day.3":            {"onsdag", "Wednesday"},
	"reminder.day.4":            {"torsdag", "Thursday"},
	"reminder.day.5":            {"fredag", "Friday"},
	"reminder.day.6":            {"lördag", "Saturday"},
	"reminder.month.1":          {"januari", "January"},
	"reminder.month.2":          {"februari", "February"},
	"reminder.month.3":          {"mars", "March"},
	"reminder.month.4":          {"april", "April"},
	"reminder.month.5":          {"maj", "May"},
	"reminder.month.6":          {"juni", "June"},
	"reminder.month.7":          {"juli", "July"},
	"reminder.month.8":          {"augusti", "August"},
	"reminder.month.9":          {"september", "September"},
	"reminder.month.10":         {"oktober", "October"},
	"reminder.month.11":         {"november", "November"},
	"reminder.month.12":         {"december", "December"},
}

// centralReminderTexts are the reference central store's page where a
// patient chooses whether and where to get reminders (sync/central).
var centralReminderTexts = map[string]text{
	"central.page.reminders.heading": {"Påminnelse före besök", "Reminder before a visit"},
	"central.page.reminders.intro": {"Vill du få en påminnelse med SMS eller e-post före dina bokade besök? Påminnelsen innehåller bara mottagningens namn, dag, tid, adress och en länk hit, aldrig varför du ska dit. Du kan ändra dig när du vill; valet gäller de tider du bokar eller bokar om efter det.",
		"Would you like a reminder by text message or e-mail before your booked visits? The reminder holds only the clinic's name, the day, the time, the address and a link here, never why you are going. You can change your mind at any time; the choice applies to the times you book or rebook after that."},
	"central.page.reminders.consent":   {"Ja, påminn mig före mina bokade besök", "Yes, remind me before my booked visits"},
	"central.page.reminders.mobile":    {"Mobilnummer för SMS (valfritt)", "Mobile number for text messages (optional)"},
	"central.page.reminders.email":     {"E-postadress (valfritt)", "E-mail address (optional)"},
	"central.page.reminders.lang":      {"Språk i påminnelsen", "Language of the reminder"},
	"central.page.reminders.sv":        {"Svenska", "Svenska"},
	"central.page.reminders.en":        {"English", "English"},
	"central.page.reminders.save":      {"Spara", "Save"},
	"central.page.reminders.saved":     {"Ditt val är sparat.", "Your choice has been saved."},
	"central.page.reminders.link":      {"Påminnelser före besök", "Reminders before visits"},
	"central.page.reminders.noAddress": {"Skriv ett mobilnummer eller en e-postadress för påminnelsen, eller ta bort bocken om du inte vill ha någon.", "Write a mobile number or an e-mail address for the reminder, or untick the box if you want none."},
	"central.page.reminders.badMobile": {"Mobilnumret ska vara 7–15 siffror, till exempel 070-123 45 67 eller +46 70 123 45 67.", "The mobile number must be 7 to 15 digits, for example 070-123 45 67 or +46 70 123 45 67."},
	"central.page.reminders.badEmail":  {"E-postadressen ska se ut som namn@exempel.se.", "The e-mail address must look like name@example.se."},
	"central.page.reminders.bad":       {"Valet för påminnelser gick inte att spara. Kontrollera numret och adressen och försök igen.", "The reminder choice could not be saved. Check the number and the address and try again."},
}
