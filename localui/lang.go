package localui

import (
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/labels"
	"clinicgw/cardauth"
	"clinicgw/localui/report"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	wirelabels "clinicgw/sync/wire/labels"
	"clinicgw/sync/wire/workday"
)

// lang is the language a page is shown in: Swedish unless the staff member
// chose English.
type lang struct{ Code string }

func langOf(r *http.Request) lang {
	if c, err := r.Cookie(langCookie); err == nil && c.Value == "en" {
		return lang{"en"}
	}
	return lang{"sv"}
}

// T is the text for key in l; a missing key shows as itself, so that a
// test finds it.
func (l lang) T(key string) string {
	m := catalog[key]
	if l.Code == "en" && m[1] != "" {
		return m[1]
	}
	if m[0] != "" {
		return m[0]
	}
	return key
}

// Type is a case type's name in l.
func (l lang) Type(t casetype.Type) string { return report.TypeName(t, l.Code) }

// Status is a case status's name in l.
func (l lang) Status(s cases.Status) string { return report.StatusName(s, l.Code) }

// Action is what a history step or an access-log record says happened.
func (l lang) Action(a cases.Action) string { return labels.Action(a, l.Code) }

// AccessAction is an access-log record's action (a cases.Action) in l.
func (l lang) AccessAction(a string) string { return labels.Action(cases.Action(a), l.Code) }

// MessageKind is a message's kind in l.
func (l lang) MessageKind(k cases.MessageKind) string { return labels.MessageKind(k, l.Code) }

// Outcome is an access-log record's outcome in l.
func (l lang) Outcome(o audit.Outcome) string { return labels.Outcome(o, l.Code) }

// FieldKind is a form field kind's name in l.
func (l lang) FieldKind(k wire.FieldKind) string { return wirelabels.FieldKind(k, l.Code) }

// Actor is who did something: the patient or the system in l, a member of
// staff by name from names (HSA-ID → name), else by HSA-ID.
func (l lang) Actor(actor string, names map[string]string) string {
	return labels.Actor(actor, l.Code, func(h string) string { return names[h] })
}

// Answers are a case's form answers as l's reader reads them, with form
// the unit's form of the case's type (nil if none).
func (l lang) Answers(form *wire.Form, fields []cases.Field) []wirelabels.Answer {
	return labels.Answers(form, fields, l.Code)
}

// Time is t in Stockholm time, as staff read it.
func (l lang) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(workday.Stockholm()).Format("2006-01-02 15:04")
}

// Date is t's date in Stockholm.
func (l lang) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(workday.Stockholm()).Format("2006-01-02")
}

// setLang switches the language and goes back where the form was.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	code := r.PostFormValue("lang")
	if code != "en" {
		code = "sv"
	}
	setCookie(w, langCookie, code, 365*24*3600)
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

var funcs = template.FuncMap{
	"lines": func(s string) []string { return strings.Split(s, "\n") },
	"hasRole": func(st *cardauth.Staff, role string) bool {
		return st != nil && slices.Contains(st.Roles, role)
	},
	// pair passes the page and one case to a shared block.
	"pair": func(p page, c *cases.Case) struct {
		P page
		C *cases.Case
	} {
		return struct {
			P page
			C *cases.Case
		}{p, c}
	},
}

// catalog holds every text of the UI: Swedish first, then English.
var catalog = map[string][2]string{
	"app.name":       {"Vårdkontakter – vårdenhetens meddelanden", "Care contacts – the unit's messages"},
	"skip":           {"Hoppa till innehållet", "Skip to content"},
	"nav.label":      {"Huvudmeny", "Main menu"},
	"nav.inbox":      {"Inkorg", "Inbox"},
	"nav.mine":       {"Mina ärenden", "My cases"},
	"nav.settings":   {"Inställningar", "Settings"},
	"nav.newCase":    {"Nytt meddelande till invånare", "New message to a patient"},
	"nav.unit":       {"Enhetens inställningar", "Unit settings"},
	"nav.stats":      {"Statistik", "Statistics"},
	"nav.audit":      {"Loggutdrag", "Access log"},
	"logout":         {"Logga ut", "Log out"},
	"lang.switch":    {"In English", "På svenska"},
	"lang.label":     {"Språk", "Language"},
	"live.connected": {"Uppdateras automatiskt", "Updates automatically"},
	"live.offline":   {"Ingen kontakt med servern – sidan uppdateras inte", "No contact with the server – the page does not update"},
	"loggedInAs":     {"Inloggad som", "Logged in as"},

	"title.login":    {"Logga in", "Log in"},
	"title.error":    {"Något gick fel", "Something went wrong"},
	"title.inbox":    {"Inkorg", "Inbox"},
	"title.mine":     {"Mina ärenden", "My cases"},
	"title.case":     {"Ärende", "Case"},
	"title.newCase":  {"Nytt meddelande till invånare", "New message to a patient"},
	"title.settings": {"Inställningar", "Settings"},
	"title.unit":     {"Enhetens inställningar", "Unit settings"},
	"title.stats":    {"Statistik", "Statistics"},
	"title.audit":    {"Loggutdrag", "Access log"},

	"login.heading":     {"Logga in med SITHS-kort", "Log in with your SITHS card"},
	"login.insert":      {"Sätt i ditt SITHS-kort i kortläsaren och skriv din PIN-kod.", "Insert your SITHS card in the reader and enter your PIN."},
	"login.pin":         {"PIN-kod för legitimering", "Authentication PIN"},
	"login.pinHelp":     {"4–16 siffror. Koden skickas bara till kortet.", "4–16 digits. The PIN goes to the card only."},
	"login.pinPad":      {"Skriv PIN-koden på kortläsarens knappsats när den ber om den.", "Enter the PIN on the reader's keypad when it asks."},
	"login.submit":      {"Logga in", "Log in"},
	"login.working":     {"Loggar in …", "Logging in …"},
	"login.noBridge":    {"Kortläsartjänsten på den här datorn svarar inte. Kontrollera att tjänsten Clinicgw kortläsare körs, eller kontakta IT.", "The card reader service on this computer does not answer. Check that the clinicgw bridge runs, or call IT."},
	"login.noReader":    {"Ingen kortläsare hittades. Anslut kortläsaren.", "No card reader found. Connect the card reader."},
	"login.noCard":      {"Inget kort i kortläsaren. Sätt i ditt SITHS-kort.", "No card in the reader. Insert your SITHS card."},
	"login.ready":       {"Kortet är isatt.", "The card is inserted."},
	"login.ended":       {"Du är utloggad. Sätt i kortet och logga in igen.", "You are logged out. Insert your card and log in again."},
	"login.failed":      {"Inloggningen misslyckades.", "The login failed."},
	"login.watchFailed": {"Kortläsartjänsten kunde inte bevaka kortet, så inloggningen avbröts. Försök igen.", "The card reader service could not watch the card, so the login was cancelled. Try again."},

	"lock.heading": {"Sidan är låst", "The page is locked"},
	"lock.text":    {"Sessionen har avslutats: kortet togs ut, du var inaktiv i 15 minuter, loggade ut eller har inte längre behörighet här. Sidans innehåll visas inte längre.", "The session has ended: the card was removed, you were idle for 15 minutes, logged out or no longer have access here. The page's content is no longer shown."},
	"lock.login":   {"Logga in igen", "Log in again"},

	"err.crossOrigin":      {"Begäran kom från en annan webbplats och stoppades.", "The request came from another site and was stopped."},
	"err.session":          {"Du är inte inloggad längre. Logga in igen.", "You are no longer logged in. Log in again."},
	"err.generic":          {"Något gick fel. Försök igen om en stund.", "Something went wrong. Try again in a while."},
	"err.notFound":         {"Ärendet finns inte.", "The case does not exist."},
	"err.pageNotFound":     {"Sidan finns inte. Kontrollera adressen eller gå till startsidan.", "The page does not exist. Check the address or go to the start page."},
	"err.methodNotAllowed": {"Det här görs med knappen på sidan, inte med en länk.", "This is done with the button on the page, not with a link."},
	"err.forbidden":        {"Du har inte tillgång till det här.", "You do not have access to this."},
	"err.conflict":         {"Ärendet har ändrats av någon annan. Ladda om sidan och försök igen.", "Someone else changed the case. Reload the page and try again."},
	"err.invalid":          {"Uppgifterna är ofullständiga eller felaktiga.", "The details are incomplete or wrong."},
	"err.back":             {"Tillbaka", "Back"},

	"ok.assigned":    {"Ärendet är tilldelat.", "The case is assigned."},
	"ok.reassigned":  {"Ärendet är flyttat.", "The case is moved."},
	"ok.taken-back":  {"Ärendet är tillbaka i inkorgen.", "The case is back in the inbox."},
	"ok.handed-back": {"Ärendet är lämnat tillbaka till inkorgen.", "The case is handed back to the inbox."},
	"ok.sent":        {"Meddelandet är skickat till patienten.", "The message is sent to the patient."},
	"ok.closed":      {"Ärendet är avslutat.", "The case is closed."},
	"ok.moved":       {"Ärendena är flyttade.", "The cases are moved."},
	"ok.saved":       {"Sparat.", "Saved."},
	"ok.initiated":   {"Meddelandet är skickat och ärendet är startat.", "The message is sent and the case is started."},

	"inbox.filters":   {"Urval", "Filter"},
	"inbox.view":      {"Visa", "Show"},
	"view.open":       {"Alla öppna", "All open"},
	"view.new":        {"Nya", "New"},
	"view.unassigned": {"Ej tilldelade", "Unassigned"},
	"view.overdue":    {"Försenade", "Overdue"},
	"view.today":      {"Ska besvaras senast idag", "Due today"},
	"view.waiting":    {"Väntar på patienten", "Waiting for the patient"},
	"view.done":       {"Besvarade och avslutade", "Answered and closed"},
	"inbox.type":      {"Ärendetyp", "Case type"},
	"inbox.anyType":   {"Alla typer", "All types"},
	"inbox.clinician": {"Ärendehanterare", "Clinician"},
	"inbox.anyone":    {"Alla", "Anyone"},
	"inbox.apply":     {"Visa urvalet", "Apply"},
	"inbox.none":      {"Inga ärenden i urvalet.", "No cases match."},
	"inbox.more":      {"Visar de första %d ärendena. Gör urvalet snävare för att se fler.", "Showing the first %d cases. Narrow the filter to see more."},
	"col.received":    {"Inkom", "Received"},
	"col.sent":        {"Skickat av patienten", "Sent by the patient"},
	"col.type":        {"Typ", "Type"},
	"col.patient":     {"Patient", "Patient"},
	"col.status":      {"Status", "Status"},
	"col.due":         {"Besvaras senast", "Due"},
	"col.assignee":    {"Handläggs av", "Handled by"},
	"col.action":      {"Åtgärd", "Action"},
	"overdue":         {"Försenat", "Overdue"},
	"onLeave":         {"frånvarande", "on leave"},
	"onLeaveUntil":    {"frånvarande t.o.m.", "on leave until"},

	"title.leave":           {"Frånvarande ärendehanterare", "Clinician on leave"},
	"leave.heading":         {"Ärendehanteraren är frånvarande", "The clinician is on leave"},
	"leave.isAway":          {"är frånvarande till och med", "is on leave until and including"},
	"leave.notAssigned":     {"Ärendet är inte tilldelat.", "The case has not been assigned."},
	"leave.notReassigned":   {"Ärendet är inte flyttat.", "The case has not been moved."},
	"leave.notMoved":        {"Inga ärenden är flyttade.", "No cases have been moved."},
	"leave.choose":          {"Välj en annan ärendehanterare:", "Choose another clinician:"},
	"leave.to.assign":       {"Tilldela", "Assign to"},
	"leave.to.reassign":     {"Flytta till", "Move to"},
	"leave.anyway.assign":   {"Tilldela ändå", "Assign anyway"},
	"leave.anyway.reassign": {"Flytta ändå", "Move anyway"},
	"leave.noOthers":        {"Ingen annan ärendehanterare är i tjänst just nu.", "No other clinician is available now."},
	"leave.cancel":          {"Avbryt", "Cancel"},

	"assign":          {"Tilldela", "Assign"},
	"assign.to":       {"Tilldela till", "Assign to"},
	"reassign":        {"Flytta", "Move"},
	"reassign.to":     {"Flytta till", "Move to"},
	"takeBack":        {"Ta tillbaka", "Take back"},
	"choose":          {"Välj …", "Choose …"},
	"moveAll.heading": {"Flytta alla ärenden från en person till en annan", "Move all cases from one person to another"},
	"moveAll.from":    {"Från", "From"},
	"moveAll.to":      {"Till", "To"},
	"moveAll.submit":  {"Flytta alla", "Move all"},
	"moveAll.partial": {"%d ärenden flyttades, %d kunde inte flyttas (de har ändrats under tiden).", "%d cases moved, %d could not be moved (they changed meanwhile)."},
	"guardianFor":     {"vårdnadshavare", "guardian"},

	"case.heading":     {"Ärende", "Case"},
	"case.patient":     {"Patient", "Patient"},
	"case.guardian":    {"Vårdnadshavare", "Guardian"},
	"case.pnr":         {"Personnummer", "Personal identity number"},
	"case.form":        {"Formulärets svar", "Answers on the form"},
	"case.thread":      {"Meddelanden", "Messages"},
	"case.history":     {"Händelser", "History"},
	"case.answer":      {"Svara patienten", "Answer the patient"},
	"case.kind":        {"Typ av svar", "Kind of answer"},
	"kind.answer":      {"Svar (ärendet besvaras)", "Answer (the case is answered)"},
	"kind.partial":     {"Delsvar (ärendet är fortfarande öppet)", "Partial answer (the case stays open)"},
	"kind.counter":     {"Motfråga (väntar på patienten)", "Counter-question (waits for the patient)"},
	"case.text":        {"Meddelande till patienten", "Message to the patient"},
	"case.standard":    {"Standardsvar", "Standard answers"},
	"case.insert":      {"Infoga standardsvar", "Insert standard answer"},
	"case.signature":   {"Din signatur läggs till sist:", "Your signature is added at the end:"},
	"case.noSignature": {"Du har ingen personlig signatur. Lägg till en under Inställningar.", "You have no personal signature. Add one under Settings."},
	"case.send":        {"Skicka", "Send"},
	"case.handBack":    {"Lämna tillbaka till inkorgen", "Hand back to the inbox"},
	"case.close":       {"Avsluta ärendet", "Close the case"},
	"case.distribute":  {"Fördela", "Distribute"},
	"case.updated":     {"Ärendet har ändrats. Det visas nu som det är.", "The case changed. It is now shown as it is."},

	"newcase.intro":     {"Starta ett ärende med en invånare. Invånaren ser meddelandet i e-tjänsterna och får en avisering utan innehåll.", "Start a case with a patient. The patient reads the message in the e-services and gets a notice without its content."},
	"newcase.pnr":       {"Personnummer", "Personal identity number"},
	"newcase.pnrHelp":   {"ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN. Samordningsnummer går också.", "YYYYMMDD-NNNN or YYMMDD-NNNN. A co-ordination number works too."},
	"newcase.type":      {"Ärendetyp", "Case type"},
	"newcase.subject":   {"Rubrik", "Subject"},
	"newcase.text":      {"Meddelande", "Message"},
	"newcase.signature": {"Din signatur läggs sist i meddelandet:", "Your signature is added at the end of the message:"},
	"newcase.noSig":     {"Du har ingen signatur. Lägg till en under Inställningar.", "You have no signature. Add one under Settings."},
	"newcase.reply":     {"Invånaren får svara", "The patient may reply"},
	"newcase.send":      {"Skicka och starta ärendet", "Send and start the case"},

	"settings.signature":     {"Personlig signatur", "Personal signature"},
	"settings.signatureHelp": {"Läggs sist i varje svar du skickar, t.ex. namn, titel och mottagning.", "Added at the end of every answer you send, e.g. name, title and clinic."},
	"settings.notify":        {"Avisering när du får ett ärende", "Notice when you are given a case"},
	"settings.byEmail":       {"Med e-post", "By e-mail"},
	"settings.bySMS":         {"Med sms", "By text message"},
	"settings.email":         {"E-postadress", "E-mail address"},
	"settings.mobile":        {"Mobilnummer", "Mobile number"},
	"settings.noticeHelp":    {"Aviseringen säger bara att det finns ett nytt ärende – aldrig något om patienten.", "The notice only says there is a new case – never anything about the patient."},
	"settings.save":          {"Spara", "Save"},
	"unit.standard":          {"Standardsvar", "Standard answers"},
	"unit.standardHelp":      {"Ett svar per stycke: rubrik på första raden, texten på raderna under. Skilj svaren åt med en tom rad.", "One answer per paragraph: a heading on the first line, the text below. Separate answers with an empty line."},
	"unit.contact":           {"Enhetens kontaktuppgifter", "The unit's contact details"},
	"unit.contactHelp":       {"Sparas här för enhetens personal. Texten visas inte för patienterna: den centrala tjänsten har ännu ingen plats för den. Ge patienterna kontaktuppgifterna i formulärens inledande text.", "Kept here for the unit's staff. The text is not shown to patients: the central store has no place for it yet. Give patients the contact details in the forms' introductions."},
	"unit.notice":            {"E-postadress för aviseringar om nya ärenden", "E-mail address for notices of new cases"},
	"sync.broken":            {"Synkroniseringen med centrallagret står still sedan", "The sync with the central store has stood still since"},
	"sync.brokenWhat":        {"Centrallagret har gått tillbaka i tiden (till exempel återställts från en äldre kopia). Gatewayen stämmer av med det så att inget ärende eller svar går förlorat; nya ärenden och svar väntar så länge. Står meddelandet kvar mer än några minuter: kontakta regionens IT.", "The central store went back in time (for example, it was restored from an older copy). The gateway is reconciling with it so that no case or answer is lost; new cases and answers wait meanwhile. If this message stays for more than a few minutes, contact region IT."},
	"sync.incomplete":        {"Avstämningen med centrallagret kunde inte lämna tillbaka allt som centrallagret förlorat. Kontakta regionens IT: gatewayens logg säger vilka ärenden det gäller.", "The reconciliation with the central store could not give back everything the central store lost. Contact region IT: the gateway's log names the cases."},
	"config.heading":         {"Konfigurationsfilen", "The configuration file"},
	"config.refused":         {"Konfigurationsfilen kunde inte läsas in:", "The configuration file could not be read:"},
	"config.oldStays":        {"den tidigare inställningen gäller.", "the previous settings stay in use."},
	"config.reloaded":        {"Konfigurationen lästes in", "The configuration was reloaded at"},
	"config.restart":         {"Ändringar som gäller först när tjänsten startats om:", "Changes that apply only when the service is restarted:"},
	"unit.noticesWaiting":    {"Aviseringar som väntar", "Notices waiting"},
	"unit.noticesNone":       {"Alla aviseringar är skickade.", "Every notice has been sent."},
	"unit.noticeKind":        {"Avisering", "Notice"},
	"unit.noticeChannel":     {"Väg", "Channel"},
	"unit.noticeAttempts":    {"Misslyckade försök", "Failed attempts"},
	"unit.noticeNext":        {"Nästa försök", "Next attempt"},
	"unit.noticeError":       {"Senaste fel", "Last error"},
	"unit.archive":           {"Arkivering", "Archive export"},
	"unit.archiveRunning":    {"Pågår: exporterade ärenden", "Running: cases exported"},
	"unit.archiveLast":       {"Senaste körning", "Last run"},
	"unit.archiveNever":      {"Ingen körning ännu.", "No run yet."},
	"unit.archiveDone":       {"%d ärenden i %d paket arkiverade", "%d cases archived in %d packages"},
	"unit.archiveNext":       {"Nästa körning", "Next run"},
	"notice.new-cases":       {"Nya ärenden", "New cases"},
	"notice.assigned":        {"Tilldelat ärende", "Case assigned"},
	"notice.overdue":         {"Försenade ärenden", "Overdue cases"},
	"notice.email":           {"E-post", "E-mail"},
	"notice.sms":             {"SMS", "SMS"},
	"settings.badEmail":      {"E-postadressen ser inte ut som en e-postadress.", "The e-mail address does not look like one."},
	"settings.badMobile":     {"Mobilnumret ska bara innehålla siffror, +, mellanslag och bindestreck.", "The mobile number may hold digits, +, spaces and hyphens only."},
	"settings.tooLong":       {"Texten är för lång.", "The text is too long."},

	// The form designer.
	"title.forms":          {"Formulär", "Forms"},
	"title.formsEdit":      {"Redigera formulär", "Edit form"},
	"title.formsImport":    {"Läsa in formulär", "Import forms"},
	"nav.forms":            {"Formulär", "Forms"},
	"forms.intro":          {"Patienterna skriver sina ärenden på de här formulären, ett per ärendetyp. Ändringar syns för patienterna först när du publicerar dem.", "Patients write their cases on these forms, one per case type. Changes reach patients only when you publish them."},
	"forms.offline":        {"Ingen central tjänst är konfigurerad: formulären sparas här men publiceras inte.", "No central store is configured: the forms are kept here but not published."},
	"forms.pending":        {"Senaste publiceringen väntar på att nå den centrala tjänsten.", "The latest publication is waiting to reach the central store."},
	"forms.deliveredAt":    {"Den centrala tjänsten tog emot formulären", "The central store received the forms at"},
	"forms.notSent":        {"Formulären har inte skickats till den centrala tjänsten sedan start.", "The forms have not been sent to the central store since start."},
	"forms.type":           {"Ärendetyp", "Case type"},
	"forms.formTitle":      {"Titel", "Title"},
	"forms.fieldCount":     {"Antal fält", "Fields"},
	"forms.state":          {"Läge", "State"},
	"forms.stateDraft":     {"Ändrat, inte publicerat", "Changed, not published"},
	"forms.statePublished": {"Publicerat", "Published"},
	"forms.stateAbsent":    {"Erbjuds inte patienterna", "Not offered to patients"},
	"forms.version":        {"version", "version"},
	"forms.export":         {"Spara en kopia", "Export"},
	"forms.exportHelp":     {"Alla publicerade formulär som en JSON-fil, t.ex. för att flytta dem till en annan enhet.", "Every published form as one JSON file, e.g. to move them to another unit."},
	"forms.exportLink":     {"Ladda ned formulären (JSON)", "Download the forms (JSON)"},
	"forms.import":         {"Läsa in formulär", "Import forms"},
	"forms.importFile":     {"JSON-fil med formulär", "JSON file of forms"},
	"forms.importHelp":     {"Högst %d kB. Du får se vad som ändras innan något publiceras.", "At most %d kB. You see what changes before anything is published."},
	"forms.importCheck":    {"Granska filen", "Check the file"},
	"forms.importFailed":   {"Filen lästes inte in. Inget har ändrats.", "The file was not imported. Nothing has changed."},
	"forms.noImport":       {"Ingen inläst fil väntar. Välj filen igen.", "No imported file is waiting. Choose the file again."},
	"forms.previewIntro":   {"Filen är kontrollerad. Så här ändras formulären om du publicerar den:", "The file is checked. This is how the forms change if you publish it:"},
	"forms.change":         {"Ändring", "Change"},
	"forms.change.new":     {"Nytt", "New"},
	"forms.change.changed": {"Ändras", "Changed"},
	"forms.change.same":    {"Oförändrat", "Unchanged"},
	"forms.change.removed": {"Tas bort – erbjuds inte längre", "Removed – no longer offered"},
	"forms.applyHelp":      {"Filens formulär ersätter alla publicerade formulär. Ändringar som inte är publicerade tas bort.", "The file's forms replace every published form. Unpublished changes are dropped."},
	"forms.apply":          {"Publicera filens formulär", "Publish the file's forms"},
	"forms.cancel":         {"Avbryt", "Cancel"},
	"forms.back":           {"Tillbaka till alla formulär", "Back to all forms"},
	"forms.about":          {"Formuläret", "The form"},
	"forms.titleSv":        {"Titel (svenska)", "Title (Swedish)"},
	"forms.titleEn":        {"Titel (engelska)", "Title (English)"},
	"forms.introSv":        {"Inledande text (svenska)", "Introduction (Swedish)"},
	"forms.introEn":        {"Inledande text (engelska)", "Introduction (English)"},
	"forms.guardian":       {"En vårdnadshavare får använda formuläret för ett barn", "A guardian may use the form for a child"},
	"forms.field":          {"Fält", "Field"},
	"forms.name":           {"Namn", "Name"},
	"forms.nameHelp":       {"Tekniskt namn: A–Z, a–z, 0–9, punkt, understreck, bindestreck.", "Technical name: A–Z, a–z, 0–9, dot, underscore, hyphen."},
	"forms.kind":           {"Typ", "Kind"},
	"forms.labelSv":        {"Etikett (svenska)", "Label (Swedish)"},
	"forms.labelEn":        {"Etikett (engelska)", "Label (English)"},
	"forms.helpSv":         {"Hjälptext (svenska)", "Help text (Swedish)"},
	"forms.helpEn":         {"Hjälptext (engelska)", "Help text (English)"},
	"forms.required":       {"Obligatoriskt", "Required"},
	"forms.options":        {"Alternativ (rullista och flerval)", "Options (drop-down and radio buttons)"},
	"forms.optionsHelp":    {"Ett per rad: värde | svensk etikett | engelsk etikett.", "One per line: value | Swedish label | English label."},
	"forms.showIf":         {"Visa bara om fältet", "Show only if the field"},
	"forms.always":         {"(visas alltid)", "(always shown)"},
	"forms.equals":         {"har värdet", "has the value"},
	"forms.equalsHelp":     {"Ett alternativs värde, eller true/false för en kryssruta.", "An option's value, or true/false for a checkbox."},
	"forms.up":             {"Flytta upp", "Move up"},
	"forms.down":           {"Flytta ned", "Move down"},
	"forms.remove":         {"Ta bort", "Remove"},
	"forms.add":            {"Lägg till fält", "Add a field"},
	"forms.save":           {"Spara utkast", "Save draft"},
	"forms.publish":        {"Publicera", "Publish"},
	"forms.discard":        {"Kasta ändringarna", "Discard the changes"},
	"forms.notPublished":   {"Formuläret publicerades inte: rätta det som är markerat. Dina ändringar är sparade som utkast.", "The form was not published: correct what is marked. Your changes are kept as a draft."},
	"forms.ruleBroken":     {"Formuläret bryter mot en regel i synkprotokollet:", "The form breaks a rule of the sync protocol:"},
	"forms.tooLarge":       {"Formuläret är för stort för att sparas.", "The form is too large to be saved."},
	"forms.okPublished":    {"Formuläret är publicerat.", "The form is published."},
	"forms.okImported":     {"Formulären är inlästa och publicerade.", "The forms are imported and published."},
	"forms.okSaved":        {"Utkastet är sparat.", "The draft is saved."},
	"forms.okDiscarded":    {"Ändringarna är kastade.", "The changes are discarded."},

	"stats.period":    {"Period", "Period"},
	"stats.from":      {"Från och med", "From"},
	"stats.to":        {"Till och med", "To"},
	"stats.show":      {"Visa", "Show"},
	"stats.csv":       {"Ladda ned som CSV", "Download as CSV"},
	"stats.badDate":   {"Ange datum som ÅÅÅÅ-MM-DD.", "Give dates as YYYY-MM-DD."},
	"audit.byPatient": {"Loggutdrag för en patient", "Log extract for a patient"},
	"audit.byStaff":   {"Loggutdrag för en medarbetare", "Log extract for a member of staff"},
	"audit.pnr":       {"Patientens personnummer", "The patient's personal identity number"},
	"audit.hsaId":     {"Medarbetarens HSA-id", "The staff member's HSA-ID"},
	"audit.search":    {"Visa loggutdrag", "Show log extract"},
	"audit.chainOK":   {"Loggkedjan är hel: %d poster kontrollerade.", "The log chain is intact: %d records checked."},
	"audit.chainBad":  {"Loggkedjan är BRUTEN: %s. Kontakta IT-säkerhet.", "The log chain is BROKEN: %s. Contact IT security."},
	"audit.none":      {"Inga poster.", "No records."},
	"audit.when":      {"Tid", "Time"},
	"audit.who":       {"Vem", "Who"},
	"audit.action":    {"Händelse", "Event"},
	"audit.case":      {"Ärende", "Case"},
	"audit.outcome":   {"Utfall", "Outcome"},
	"audit.patient":   {"Patient", "Patient"},

	// The quarantine (quarantine.go) and flagged cases.
	"quarantine.one": {"1 ärende kunde inte tas emot — kontakta regionens IT. Det finns kvar, krypterat, och kommer in när felet är åtgärdat.",
		"1 case could not be received — contact region IT. It is kept, encrypted, and comes in once the fault is fixed."},
	"quarantine.many": {"%d ärenden kunde inte tas emot — kontakta regionens IT. De finns kvar, krypterade, och kommer in när felet är åtgärdat.",
		"%d cases could not be received — contact region IT. They are kept, encrypted, and come in once the fault is fixed."},
	"quarantine.unknown": {"Det gick inte att läsa om alla ärenden har kunnat tas emot — kontakta regionens IT.",
		"Whether every case could be received cannot be read — contact region IT."},
	"case.relaxed": {"Ärendet bryter mot en gräns i den här versionen av clinicgw (till exempel en textlängd eller en åldersregel) men togs emot eftersom den centrala e-tjänsten godkände det. Kontrollera uppgifterna; kontakta regionens IT om något ser fel ut.",
		"This case breaks a limit of this clinicgw version (a text length or an age rule, say) but was received because the central e-service accepted it. Check its details; contact region IT if something looks wrong."},
}
