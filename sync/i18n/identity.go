package i18n

// identityTexts are the refusals of a typed personnummer
// (sync/wire/personnummer.Error, by its reason) and of a card's
// certificate (cardauth/siths.Swedish): what is wrong and what to do.
var identityTexts = map[string]text{
	"pnr.invalid":     {"Personnumret är inte giltigt. Kontrollera att du har skrivit rätt.", "The personnummer is not valid. Check that you typed it right."},
	"pnr.empty":       {"Personnummer saknas. Skriv 10 eller 12 siffror.", "The personnummer is missing. Write 10 or 12 digits."},
	"pnr.length":      {"Personnumret ska ha 10 eller 12 siffror.", "The personnummer must have 10 or 12 digits."},
	"pnr.character":   {"Personnumret får bara innehålla siffror och ett bindestreck eller plustecken.", "The personnummer may hold only digits and one hyphen or plus sign."},
	"pnr.separator":   {"Bindestreck eller plustecken ska stå före de fyra sista siffrorna, och plustecken bara i den korta formen.", "A hyphen or plus sign must stand before the last four digits, and a plus sign only in the short form."},
	"pnr.date":        {"Datumet i personnumret finns inte. Kontrollera att du har skrivit rätt.", "The date in the personnummer does not exist. Check that you typed it right."},
	"pnr.future":      {"Födelsedatumet i personnumret ligger i framtiden. Kontrollera att du har skrivit rätt.", "The date of birth in the personnummer is in the future. Check that you typed it right."},
	"pnr.check-digit": {"Personnumret har fel kontrollsiffra. Kontrollera att du har skrivit rätt.", "The personnummer has the wrong check digit. Check that you typed it right."},

	"cert.revoked":      {"Kortets certifikat är spärrat. Kontakta din korthandläggare.", "The card's certificate is revoked. Contact your card administrator."},
	"cert.expired":      {"Kortets certifikat har gått ut. Kontakta din korthandläggare för ett nytt kort.", "The card's certificate has expired. Contact your card administrator for a new card."},
	"cert.notYetValid":  {"Kortets certifikat gäller inte ännu. Kontakta IT: klockan i systemet kan gå fel.", "The card's certificate is not valid yet. Contact IT: the system's clock may be wrong."},
	"cert.undetermined": {"Det gick inte att kontrollera om kortet är spärrat. Försök igen om en stund; fungerar det inte, kontakta IT.", "Whether the card is revoked could not be checked. Try again in a while; if it still fails, contact IT."},
	"cert.notAuth":      {"Fel certifikat på kortet valdes (underskriftscertifikatet). Kontakta IT.", "The wrong certificate on the card was chosen (the signing certificate). Contact IT."},
	"cert.notSITHS":     {"Kortet är inte ett giltigt SITHS-kort för den här tjänsten.", "The card is not a valid SITHS card for this service."},
	"cert.notChecked":   {"Kortets certifikat kunde inte kontrolleras. Kontakta IT.", "The card's certificate could not be checked. Contact IT."},
}
