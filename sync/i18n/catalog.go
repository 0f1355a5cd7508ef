package i18n

// catalogTexts are the texts of the unit's catalogue of services
// (sync/wire/catalog's refusals, localui's service designer).
var catalogTexts = map[string]text{
	"catalog.err.format":         {"Filen är inte en tjänstekatalog från clinicgw (format ska vara %d).", "The file is not a clinicgw catalogue of services (format must be %d)."},
	"catalog.err.none":           {"Katalogen har inga tjänster. Lägg till minst en tjänst.", "The catalogue has no services. Add at least one service."},
	"catalog.err.tooMany":        {"Katalogen har fler än %d tjänster. Ta bort tjänster som inte används.", "The catalogue has more than %d services. Remove services no longer used."},
	"catalog.err.tooManyOffered": {"%d tjänster erbjuds, högst %d kan erbjudas samtidigt. Avsluta någon tjänst först.", "%d services are offered; at most %d can be at once. Retire a service first."},
	"catalog.err.duplicate":      {"Tjänst nr %d har samma id (%s) som tjänst nr %d. Varje tjänst ska ha ett eget id.", "Service no. %d has the same id (%s) as service no. %d. Each service needs its own id."},
	"catalog.err.tooMuchHistory": {"Katalogen har fler än %d tidigare versioner.", "The catalogue has more than %d earlier versions."},
	"catalog.err.history":        {"Tidigare version nr %d hör inte till någon tjänst i katalogen, eller är inte äldre än tjänstens version.", "Earlier version no. %d belongs to no service of the catalogue, or is not older than the service's version."},
	"catalog.err.showIf":         {"Tjänst nr %d: fältet %q visas beroende på fältet %q, som inte finns före det i formuläret. Välj ett fält som finns, eller ta bort villkoret.", "Service no. %d: the field %q is shown depending on the field %q, which is not before it in the form. Choose a field that exists, or remove the condition."},
	"catalog.err.form":           {"Tjänst nr %d (%s) bryter mot en regel för formulär (från synkprotokollet): %s", "Service no. %d (%s) breaks a rule of forms (from the sync protocol): %s"},
	"catalog.err.noGroup":        {"Tjänst nr %d skickas till gruppen %q, som inte finns. Lägg upp gruppen först, eller låt ärendena gå till inkorgen.", "Service no. %d goes to the group %q, which does not exist. Create the group first, or let the cases go to the inbox."},
	"catalog.err.answerDays":     {"Tjänst nr %d: svarstiden ska vara 1–%d arbetsdagar.", "Service no. %d: the answer time must be 1–%d working days."},
	"catalog.err.answerNote":     {"Tjänst nr %d svarar inom %d arbetsdagar, längre än %d. Skriv en text som talar om för patienterna varför.", "Service no. %d answers within %d working days, longer than %d. Write a text that tells patients why."},
	"catalog.err.answerNoteText": {"Tjänst nr %d: texten om svarstiden är för lång eller har otillåtna tecken.", "Service no. %d: the text on the answer time is too long or has characters not allowed."},
	"catalog.err.unreadable":     {"Filen kunde inte läsas. Försök igen.", "The file could not be read. Try again."},
	"catalog.err.tooLarge":       {"Filen är för stor: högst %d kB. Inget har ändrats.", "The file is too large: at most %d kB. Nothing has changed."},
	"catalog.err.empty":          {"Filen är tom. Välj en JSON-fil med tjänstekatalogen.", "The file is empty. Choose a JSON file of the catalogue."},
	"catalog.err.json":           {"Filen är inte en giltig tjänstekatalog i JSON. Felet: %s", "The file is not a valid catalogue in JSON. The error: %s"},
}
