package i18n

// reminderTexts are the booking reminders a patient who consented gets
// by SMS or e-mail before a visit (agent/booking's reminders). Their only
// inputs are the unit's name, the visit's day and Stockholm time, the
// unit's address, the link to the patient pages and a time type's name
// that is on the neutral list; never a personnummer, a name, a clinician
// or a word about health. Swedish unless the patient chose English.
var reminderTexts = map[string]text{
	"reminder.subject":   {"Påminnelse om din tid hos %[1]s", "Reminder of your appointment at %[1]s"},
	"reminder.greeting":  {"Hej!", "Hello,"},
	"reminder.visit":     {"Du har en tid hos %[1]s %[2]s.", "You have an appointment at %[1]s on %[2]s."},
	"reminder.visitType": {"Du har en tid (%[3]s) hos %[1]s %[2]s.", "You have an appointment (%[3]s) at %[1]s on %[2]s."},
	"reminder.when":      {"%[1]s kl. %[2]s", "%[1]s at %[2]s"},
	"reminder.address":   {"Adress: %[1]s", "Address: %[1]s"},
	"reminder.link":      {"Se din bokning, omboka eller avboka: %[1]s", "See, rebook or cancel your booking: %[1]s"},
	"reminder.foot":      {"Meddelandet är automatiskt och går inte att svara på.", "This message is automatic; replies are not read."},
	"reminder.sms":       {"Påminnelse:", "Reminder:"},
	"reminder.smsLink":   {"Se din bokning: %[1]s", "See your booking: %[1]s"},
	"reminder.day.0":     {"söndag", "Sunday"},
	"reminder.day.1":     {"måndag", "Monday"},
	"reminder.day.2":     {"tisdag", "Tuesday"},
	"reminder.day.3":     {"onsdag", "Wednesday"},
	"reminder.day.4":     {"torsdag", "Thursday"},
	"reminder.day.5":     {"fredag", "Friday"},
	"reminder.day.6":     {"lördag", "Saturday"},
	"reminder.month.1":   {"januari", "January"},
	"reminder.month.2":   {"februari", "February"},
	"reminder.month.3":   {"mars", "March"},
	"reminder.month.4":   {"april", "April"},
	"reminder.month.5":   {"maj", "May"},
	"reminder.month.6":   {"juni", "June"},
	"reminder.month.7":   {"juli", "July"},
	"reminder.month.8":   {"augusti", "August"},
	"reminder.month.9":   {"september", "September"},
	"reminder.month.10":  {"oktober", "October"},
	"reminder.month.11":  {"november", "November"},
	"reminder.month.12":  {"december", "December"},
}
