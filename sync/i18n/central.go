package i18n

// centralTexts are the reference central store's patient pages
// (sync/central): the page titles, errors and refusals a patient reads
// there. The reference store shows them in Swedish; the English is kept
// beside, as for every text. ”…” quotes a form's label or option.
var centralTexts = map[string]text{
	"central.title.error":      {"Något gick fel", "Something went wrong"},
	"central.title.login":      {"Logga in", "Log in"},
	"central.title.start":      {"Mina ärenden", "My cases"},
	"central.title.units":      {"Skriv ett nytt ärende", "Write a new case"},
	"central.title.forms":      {"Välj formulär", "Choose a form"},
	"central.err.render":       {"Ett fel uppstod. Försök igen senare.", "An error occurred. Try again later."},
	"central.err.generic":      {"Ett fel uppstod. Försök igen om en stund.", "An error occurred. Try again in a while."},
	"central.err.notFound":     {"Ärendet finns inte, eller så har du inte behörighet att se det.", "The case does not exist, or you may not see it."},
	"central.err.noUnit":       {"Vårdenheten finns inte i e-tjänsten.", "The care unit is not in the e-service."},
	"central.err.noForm":       {"Formuläret finns inte. Välj ett annat formulär.", "The form does not exist. Choose another form."},
	"central.err.notAllowed":   {"Det går inte längre att göra så i det här ärendet.", "That can no longer be done in this case."},
	"central.err.badForm":      {"Formuläret kunde inte läsas. Försök igen.", "The form could not be read. Try again."},
	"central.err.bigForm":      {"Formuläret kunde inte läsas. Det kan vara för stort.", "The form could not be read. It may be too large."},
	"central.err.pageNotFound": {"Sidan finns inte.", "The page does not exist."},
	"central.err.crossOrigin": {"Begäran kom från en annan webbplats och stoppades. Gå tillbaka till e-tjänsten och försök igen.",
		"The request came from another site and was stopped. Go back to the e-service and try again."},
	"central.err.noOrigin": {"Begäran saknar uppgift om var den kom ifrån och stoppades. Gå tillbaka till e-tjänsten och försök igen.",
		"The request does not say where it came from and was stopped. Go back to the e-service and try again."},
	"central.login.check": {"Kontrollera personnummer och namn.", "Check the personnummer and the name."},
	"central.childData":   {"Barnets uppgifter: %s", "The child's details: %s"},

	// When a conditional field of a form applies.
	"central.when.checked":   {"Fyll i om du har kryssat i %s.", "Fill in if you have ticked %s."},
	"central.when.unchecked": {"Fyll i om du inte har kryssat i %s.", "Fill in if you have not ticked %s."},
	"central.when.answered":  {"Fyll i om du har svarat %s på %s.", "Fill in if you have answered %s to %s."},
	"central.when.applies":   {"Fyll i om det gäller dig.", "Fill in if it applies to you."},

	// Refusals of what a patient sent. A length is passed as a string:
	// it is written without grouping ("10000").
	"central.in.textTooLong": {"Meddelandet får vara högst %s tecken och får inte innehålla styrtecken.",
		"The message may be at most %s characters and may not hold control characters."},
	"central.in.noGuardian": {"Det här formuläret kan inte användas för ett barns räkning.",
		"This form cannot be used on a child's behalf."},
	"central.in.noText":   {"Skriv ett meddelande.", "Write a message."},
	"central.in.badPnr":   {"Personnumret är inte giltigt.", "The personnummer is not valid."},
	"central.in.noName":   {"Skriv namnet.", "Write the name."},
	"central.in.longName": {"Namnet får vara högst %s tecken, på en rad.", "The name may be at most %s characters, on one line."},
	"central.in.selfGuardian": {"Du kan inte vara vårdnadshavare för dig själv. Skriv barnets personnummer.",
		"You cannot be your own guardian. Write the child's personnummer."},
	"central.in.childTooOld": {"Du kan bara skriva för barn under 13 år. Barn som fyllt 13 skriver själva.",
		"You can write only for children under 13. Children of 13 or older write themselves."},
	"central.in.guardianTooYoung": {"En vårdnadshavare måste vara minst 18 år.", "A guardian must be at least 18."},
	"central.in.formChanged": {"Formuläret har ändrats. Ladda om sidan och fyll i det igen.",
		"The form has changed. Reload the page and fill it in again."},
	"central.in.answeredTwice": {"Ett fält är ifyllt två gånger.", "A field is filled in twice."},
	"central.in.badChoice":     {"Ogiltigt val i %s.", "Invalid choice in %s."},
	"central.in.required":      {"Fyll i %s.", "Fill in %s."},
	"central.in.longAnswer": {"Svaret i %s är för långt eller innehåller otillåtna tecken (högst %s tecken).",
		"The answer in %s is too long or holds characters not allowed (at most %s characters)."},
	"central.in.notAnOption":   {"Välj ett av alternativen i %s.", "Choose one of the options in %s."},
	"central.in.notADate":      {"Skriv datumet i %s som ÅÅÅÅ-MM-DD.", "Write the date in %s as YYYY-MM-DD."},
	"central.in.tooManyFields": {"Formuläret har för många fält.", "The form has too many fields."},

	// The whole text of every patient notice: only that there is a message.
	"central.notice": {"Du har ett nytt meddelande från din vårdenhet i e-tjänsterna. Logga in för att läsa det.",
		"You have a new message from your care unit in the e-services. Log in to read it."},
}
