package patienttext

// Sentences are the building blocks of a case's text.
var Sentences = []string{
	"Hej! Jag har haft ont i halsen sedan i tisdags och det blir inte bättre.",
	"Febern gick upp till 38,7 grader i natt, men i morse var den 37,9.",
	"Jag har försökt med Alvedon och varm dryck, men det hjälper bara en stund.",
	"Min dotter är fyra år och har hostat i snart två veckor, mest på nätterna.",
	"Kan ni ringa mig efter klockan 15? Jag arbetar på förmiddagarna.",
	"Jag undrar om jag behöver komma in eller om det räcker med råd per telefon.",
	"Förra året fick jag penicillin för samma besvär; är det något ni rekommenderar nu?",
	"Det svider när jag sväljer och jag har svårt att äta fast föda.",
	"Öronen värker också, särskilt det vänstra, och hörseln känns lite nedsatt.",
	"Tack på förhand för hjälpen — jag är tacksam för ett svar så snart det går.",
	"Jag är gravid i vecka 24 och vill veta vilka läkemedel jag kan ta.",
	"Blodtrycket var 145/95 när jag mätte hemma i söndags, är det för högt?",
}
