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
