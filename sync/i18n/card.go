package i18n

// cardTexts are the card login's refusals (cardauth: a refused login, by
// the step that refused it; cardauth/token: a refused PIN, by its kind).
// A refused login whose step has no text of its own reads login.failed.
var cardTexts = map[string]text{
	"login.refused.challenge": {"Inloggningen tog för lång tid eller är redan använd. Försök igen.",
		"The login took too long or was already used. Try again."},
	"login.refused.token": {"Kortets svar kunde inte godtas. Försök igen; fungerar det inte, kontakta IT.",
		"The card's answer could not be accepted. Try again; if it still fails, call IT."},
	"login.refused.signature": {"Kortets svar kunde inte godtas. Försök igen; fungerar det inte, kontakta IT.",
		"The card's answer could not be accepted. Try again; if it still fails, call IT."},
	"login.refused.certificate": {"Kortets certifikat godtas inte (ogiltigt, spärrat eller okänt). Kontakta din korthandläggare.",
		"The card's certificate is not accepted (invalid, revoked or unknown). Contact your card administrator."},
	"login.refused.commission": {"Du har inget aktivt uppdrag för den här vårdenheten. Kontakta din enhetsadministratör.",
		"You have no active commission for this care unit. Contact your unit administrator."},

	"pin.incorrect": {"Fel PIN-kod. Försök igen.", "Wrong PIN. Try again."},
	"pin.countLow": {"Fel PIN-kod. Få försök återstår innan kortet spärras.",
		"Wrong PIN. Few tries are left before the card locks."},
	"pin.finalTry": {"Fel PIN-kod. Ett försök kvar innan kortet spärras.",
		"Wrong PIN. One try is left before the card locks."},
	"pin.locked": {"Kortet är spärrat efter för många felaktiga PIN-koder. Lås upp det med PUK-koden eller kontakta kortadministratören.",
		"The card is locked after too many wrong PINs. Unblock it with the PUK or contact the card administrator."},
	"pin.lenRange": {"PIN-koden har fel längd. Den ska vara %s. Inget försök förbrukades.",
		"The PIN has the wrong length. It should be %s. No try was used."},
	"pin.lenOrChars": {"PIN-koden har fel längd eller otillåtna tecken. Inget försök förbrukades.",
		"The PIN has the wrong length or characters not allowed. No try was used."},
	"pin.len.between": {"%d–%d tecken", "%d–%d characters"},
	"pin.len.atLeast": {"minst %d tecken", "at least %d characters"},
}

// bridgeTexts are the card reader service's refusals (cardauth/bridge),
// which the login page shows as they come.
var bridgeTexts = map[string]text{
	"bridge.badHost":   {"Fel adress till kortläsartjänsten.", "Wrong address for the card reader service."},
	"bridge.origin":    {"Kortläsartjänsten svarar bara vårdenhetens egen sida.", "The card reader service answers only the care unit's own page."},
	"bridge.badReq":    {"Felaktig begäran till kortläsartjänsten.", "A malformed request to the card reader service."},
	"bridge.noReader":  {"Ingen kortläsare hittades. Anslut kortläsaren.", "No card reader found. Connect the card reader."},
	"bridge.noCard":    {"Sätt i ditt SITHS-kort i kortläsaren.", "Insert your SITHS card in the card reader."},
	"bridge.unread":    {"Kortet kunde inte läsas. Ta ut det och sätt i det igen.", "The card could not be read. Take it out and insert it again."},
	"bridge.noCert":    {"Kortet saknar ett certifikat för inloggning.", "The card has no certificate for logging in."},
	"bridge.cardLogin": {"Inloggningen med kortet misslyckades.", "The login with the card failed."},
	"bridge.noSign":    {"Kortet kunde inte signera. Ta ut det och sätt i det igen.", "The card could not sign. Take it out and insert it again."},
	"bridge.noGateway": {"Kortläsartjänsten når inte vårdenhetens server.", "The card reader service cannot reach the care unit's server."},
}
