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

	// The words of the patient pages' templates (sync/central/templates),
	// by page; a template reads them with its t func. A phrase around a
	// name in markup (<strong>, <bdi>) is cut there: the markup stays in
	// the template.
	"central.page.title":      {"%s – E-tjänster (utvecklingsmiljö)", "%s – E-services (development environment)"},
	"central.page.skip":       {"Hoppa till innehållet", "Skip to the content"},
	"central.page.brand":      {"E-tjänster för vård", "E-services for care"},
	"central.page.dev":        {"Utvecklingsmiljö – inga riktiga patientuppgifter", "Development environment – no real patient data"},
	"central.page.menu":       {"Huvudmeny", "Main menu"},
	"central.page.nav.cases":  {"Mina ärenden", "My cases"},
	"central.page.nav.write":  {"Skriv ett nytt ärende", "Write a new case"},
	"central.page.loggedInAs": {"Inloggad som", "Logged in as"},
	"central.page.logout":     {"Logga ut", "Log out"},
	"central.page.footer": {"Referensimplementation av den centrala patientdelen (clinicgw). Endast för utveckling och test.",
		"Reference implementation of the central patient side (clinicgw). For development and testing only."},
	"central.page.unit":        {"Vårdenhet", "Care unit"},
	"central.page.status":      {"Status", "Status"},
	"central.page.written":     {"Skrivet", "Written"},
	"central.page.required":    {"(obligatoriskt)", "(required)"},
	"central.page.yourMessage": {"Ditt meddelande", "Your message"},

	"central.page.login.devTitle": {"Utvecklingsinloggning – ersätter e-legitimation (BankID) i den riktiga tjänsten.",
		"Development login – stands in for e-identification (BankID) in the real service."},
	"central.page.login.devNote": {"Här finns ingen kontroll av vem du är. Använd bara påhittade testpersonnummer, aldrig ditt eget.",
		"Nobody checks who you are here. Use only made-up test personnummer, never your own."},
	"central.page.login.pnr":     {"Personnummer", "Personnummer"},
	"central.page.login.pnrHelp": {"10 eller 12 siffror, till exempel ÅÅÅÅMMDD-NNNN.", "10 or 12 digits, for example YYYYMMDD-NNNN."},
	"central.page.login.name":    {"Namn", "Name"},
	"central.page.login.submit":  {"Logga in", "Log in"},

	"central.page.start.caption": {"Dina ärenden, det senaste först", "Your cases, the latest first"},
	"central.page.start.case":    {"Ärende", "Case"},
	"central.page.start.for":     {"för", "for"},
	"central.page.start.new":     {"Nytt meddelande", "New message"},
	"central.page.start.none":    {"Du har inga ärenden ännu.", "You have no cases yet."},

	"central.page.units.choose": {"Välj den vårdenhet du vill kontakta.", "Choose the care unit you want to contact."},

	"central.page.forms.unit":      {"Vårdenhet:", "Care unit:"},
	"central.page.forms.choose":    {"Välj vad ditt ärende gäller.", "Choose what your case is about."},
	"central.page.forms.none":      {"Vårdenheten tar inte emot ärenden här just nu.", "The care unit does not take cases here just now."},
	"central.page.forms.otherUnit": {"Välj en annan vårdenhet", "Choose another care unit"},

	"central.page.form.to":           {"Till", "To"},
	"central.page.form.markedBefore": {"Fält markerade med", "Fields marked"},
	"central.page.form.markedAfter":  {"måste fyllas i.", "must be filled in."},
	"central.page.form.forWhom":      {"För vem skriver du?", "Who are you writing for?"},
	"central.page.form.asGuardian":   {"Jag skriver för mitt barn (under 13 år)", "I am writing for my child (under 13)"},
	"central.page.form.guardianNote": {"Fyll i barnets uppgifter nedan bara om du har kryssat i rutan. Du måste vara barnets vårdnadshavare.",
		"Fill in the child's details below only if you have ticked the box. You must be the child's guardian."},
	"central.page.form.childPnr":  {"Barnets personnummer", "The child's personnummer"},
	"central.page.form.childName": {"Barnets namn", "The child's name"},
	"central.page.form.choose":    {"Välj …", "Choose …"},
	"central.page.form.textHelp": {"Skriv det du vill att vårdenheten ska veta. Högst 10 000 tecken.",
		"Write what you want the care unit to know. At most 10 000 characters."},
	"central.page.form.send":      {"Skicka", "Send"},
	"central.page.form.otherForm": {"Välj ett annat formulär", "Choose another form"},

	"central.page.case.startedByUnit": {"Startat av vårdenheten", "Started by the care unit"},
	"central.page.case.concerns":      {"Gäller", "Concerns"},
	"central.page.case.byGuardian":    {"skrivet av vårdnadshavare", "written by guardian"},
	"central.page.case.yours":         {"Ditt ärende", "Your case"},
	"central.page.case.messages":      {"Meddelanden", "Messages"},
	// A staff message's heading: its kind, then the author's title.
	"central.page.case.from": {"%s från %s", "%s from %s"},
	"central.page.case.none": {"Inga meddelanden ännu. Du får ett meddelande när vårdenheten har svarat.",
		"No messages yet. You will get a message when the care unit has answered."},
	"central.page.case.noReply": {"Det går inte att svara på det här meddelandet. Kontakta vårdenheten på annat sätt om du behöver.",
		"This message cannot be answered. Contact the care unit another way if you need to."},
	"central.page.case.reply":     {"Svara", "Reply"},
	"central.page.case.yourReply": {"Ditt svar", "Your reply"},
	"central.page.case.withdraw":  {"Återkalla ärendet", "Withdraw the case"},
	"central.page.case.withdrawNote": {"Om du inte längre behöver hjälp med det här kan du återkalla ärendet. Det går inte att ångra.",
		"If you no longer need help with this, you can withdraw the case. It cannot be undone."},
	"central.page.case.back": {"Tillbaka till Mina ärenden", "Back to My cases"},

	"central.page.error.back": {"Till Mina ärenden", "To My cases"},

	// The unit's contact details, on its forms page and its cases.
	"central.page.contact.heading": {"Andra sätt att kontakta vårdenheten", "Other ways to contact the care unit"},
	"central.page.contact.address": {"Besöksadress", "Visiting address"},
	"central.page.contact.phone":   {"Telefon", "Phone"},
	"central.page.contact.hours":   {"Öppettider", "Opening hours"},
	"central.page.contact.website": {"Webbplats", "Website"},
}
