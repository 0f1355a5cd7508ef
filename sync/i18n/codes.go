package i18n

// codeTexts are the names people read in place of the product's codes,
// by "kind.code": the gateway's own codes (agent/labels: statuses as
// staff read them, actions, roles, actor and message kinds, access-log
// outcomes) and the sync protocol's (sync/wire/labels and
// sync/wire/casetype: case types, statuses and message kinds as the
// patient reads them, form field kinds), and the words of a rendered form
// answer. The code after the kind is the constant's value as it is
// stored and sent; agent/labels' and sync/wire/labels' tests find every
// constant in the Go source and check it has its key here.
var codeTexts = map[string]text{
	// The statuses as staff read them (agent/cases.Status).
	"status.received":            {"Ny", "New"},
	"status.assigned":            {"Tilldelad", "Assigned"},
	"status.partially-answered":  {"Delsvar skickat", "Partial answer sent"},
	"status.waiting-for-patient": {"Väntar på patienten", "Waiting for the patient"},
	"status.answered":            {"Besvarad", "Answered"},
	"status.closed":              {"Avslutad", "Closed"},
	"status.withdrawn":           {"Återkallad", "Withdrawn"},

	// The actions as the case history and the access log show them: what
	// happened (agent/cases.Action).
	"action.receive":              {"Inkom", "Received"},
	"action.initiate":             {"Startades av vårdenheten", "Started by the unit"},
	"action.assign":               {"Tilldelades", "Assigned"},
	"action.reassign":             {"Flyttades", "Moved"},
	"action.take-back":            {"Togs tillbaka", "Taken back"},
	"action.hand-back":            {"Lämnades tillbaka", "Handed back"},
	"action.partial-answer":       {"Delsvar skickades", "Partial answer sent"},
	"action.counter-question":     {"Motfråga skickades", "Counter-question sent"},
	"action.answer":               {"Besvarades", "Answered"},
	"action.close":                {"Avslutades", "Closed"},
	"action.withdraw":             {"Återkallades av patienten", "Withdrawn by the patient"},
	"action.follow-up":            {"Patienten skrev igen", "The patient wrote again"},
	"action.read":                 {"Ärendet lästes", "Case read"},
	"action.list":                 {"Ärendelista visades", "Case list shown"},
	"action.search":               {"Sökte på patientens personnummer", "Searched by the patient's personnummer"},
	"action.search-hit":           {"Ärendet visades i en sökning", "Case shown in a search"},
	"action.read-access-log":      {"Loggutdrag togs", "Access log read"},
	"action.restore-backup":       {"Lagret återställdes från en säkerhetskopia", "Store restored from a backup"},
	"action.recover-from-central": {"Återfick från centrallagret efter återställning", "Recovered from the central store after a restore"},
	"action.attach-reference":     {"Systemets referens lades till", "The system's reference attached"},

	// The staff roles as the e-service names them (agent/cases.Role).
	"role.distributor": {"Ärendemottagare", "Case distributor"},
	"role.clinician":   {"Ärendehanterare", "Clinician"},
	"role.unit-admin":  {"Enhetsadministratör", "Unit administrator"},
	"role.auditor":     {"Granskare", "Auditor"},

	// Who did something when it was not a member of staff by name
	// (agent/cases.ActorKind).
	"actor.staff":       {"Personal", "Staff"},
	"actor.patient":     {"Patienten", "The patient"},
	"actor.system":      {"Systemet", "The system"},
	"actor.integration": {"Integrationssystem", "Integration system"},

	// The kinds of message as staff read them (agent/cases.MessageKind).
	"message.patient":          {"Från patienten", "From the patient"},
	"message.answer":           {"Svar", "Answer"},
	"message.partial-answer":   {"Delsvar", "Partial answer"},
	"message.counter-question": {"Motfråga", "Counter-question"},
	"message.staff-first":      {"Meddelande till invånaren", "Message to the patient"},

	// The access log's outcomes (agent/audit.Outcome).
	"outcome.ok":     {"tillåten", "allowed"},
	"outcome.denied": {"NEKAD", "DENIED"},

	// The case types: what staff see in lists and statistics and what
	// patients see as the form's title (sync/wire/casetype.Type).
	"type.book-appointment":     {"Boka tid", "Book an appointment"},
	"type.change-appointment":   {"Ändra tid", "Change an appointment"},
	"type.cancel-appointment":   {"Avboka tid", "Cancel an appointment"},
	"type.renew-prescription":   {"Förnya recept", "Renew a prescription"},
	"type.renew-sick-leave":     {"Förlänga sjukskrivning", "Extend sick leave"},
	"type.record-extract":       {"Begära journalkopia", "Request a copy of the record"},
	"type.advice-nurse":         {"Rådgivning sjuksköterska", "Advice from a nurse"},
	"type.advice-psychologist":  {"Rådgivning psykolog", "Advice from a psychologist"},
	"type.change-family-doctor": {"Byta fast läkare", "Change family doctor"},
	"type.symptom-registration": {"Registrera symtom", "Register symptoms"},
	"type.contact-me":           {"Kontakta mig", "Contact me"},
	// The templates of sync/wire/catalog beyond the case types above.
	"type.rebook-or-cancel":       {"Avboka eller omboka tid", "Cancel or rebook an appointment"},
	"type.contact-me-nurse":       {"Kontakta mig – sjuksköterska", "Contact me – nurse"},
	"type.contact-me-doctor":      {"Kontakta mig – läkare", "Contact me – doctor"},
	"type.renew-assistive-device": {"Förnya hjälpmedel", "Renew an assistive device"},
	"type.test-results":           {"Svar på prover och röntgen", "Test and X-ray results"},
	"type.request-certificate":    {"Begära intyg", "Request a certificate"},
	"type.lifestyle-support":      {"Stöd att ändra levnadsvanor", "Support to change lifestyle habits"},

	// The statuses as the patient reads them (sync/wire.CaseStatus).
	"patientStatus.received":            {"Mottaget", "Received"},
	"patientStatus.assigned":            {"Under handläggning", "Being handled"},
	"patientStatus.partially-answered":  {"Delvis besvarat", "Partly answered"},
	"patientStatus.waiting-for-patient": {"Väntar på ditt svar", "Waiting for your reply"},
	"patientStatus.answered":            {"Besvarat", "Answered"},
	"patientStatus.closed":              {"Avslutat", "Closed"},
	"patientStatus.withdrawn":           {"Återkallat", "Withdrawn"},

	// The kinds of message from the unit as the patient reads them
	// (sync/wire.OutboxKind).
	"patientMessage.answer":           {"Svar", "Answer"},
	"patientMessage.partial-answer":   {"Delsvar", "Partial answer"},
	"patientMessage.counter-question": {"Fråga till dig", "A question for you"},
	"patientMessage.status":           {"Ändrad status", "Status changed"},
	"patientMessage.case.initiated":   {"Meddelande", "Message"},
	"patientMessage.assignment":       {"Ny handläggare", "New clinician"},

	// The kinds of form field as the form designer names them
	// (sync/wire.FieldKind).
	"fieldKind.text":     {"Textrad", "Line of text"},
	"fieldKind.textarea": {"Textruta", "Text box"},
	"fieldKind.date":     {"Datum", "Date"},
	"fieldKind.select":   {"Rullista", "Drop-down"},
	"fieldKind.radio":    {"Flerval (ett svar)", "Radio buttons"},
	"fieldKind.checkbox": {"Kryssruta", "Checkbox"},

	// A code no table names, as it is shown: the code itself, marked, so
	// that it is never taken for a word.
	"code.unknown": {"okänd kod ”%s”", "unknown code “%s”"},

	// A form answer rendered for a human (sync/wire/labels.Answers): a
	// checkbox's value, and why an answer is shown as it was sent.
	"answer.yes": {"Ja", "Yes"},
	"answer.no":  {"Nej", "No"},
	"answer.note.option": {"alternativet finns inte i formuläret längre; svaret visas som det skickades",
		"the option is no longer on the form; the answer is shown as it was sent"},
	"answer.note.field": {"fältet finns inte i formuläret längre; svaret visas som det skickades",
		"the field is no longer on the form; the answer is shown as it was sent"},
	"answer.note.form": {"formuläret för ärendetypen finns inte; svaret visas som det skickades",
		"the case type has no form; the answer is shown as it was sent"},
	"answer.note.kind": {"svaret passar inte fältet i formuläret; det visas som det skickades",
		"the answer does not fit the form's field; it is shown as it was sent"},
}
