package i18n

// reportTexts are the words of the statistics' charts and CSV
// (localui/report).
var reportTexts = map[string]text{
	"report.decimal":       {",", "."}, // the decimal separator in charts
	"report.empty":         {"Inga ärenden under perioden", "No cases in the period"},
	"report.emptyAnswered": {"Inga besvarade ärenden under perioden", "No answered cases in the period"},
	"report.byType":        {"Ärenden per ärendetyp", "Cases by case type"},
	"report.byStatus":      {"Ärenden per status", "Cases by status"},
	"report.handling":      {"Handläggningstid per ärendetyp", "Handling time by case type"},
	"report.weeks":         {"Mottagna och besvarade ärenden per vecka", "Cases received and answered per week"},
	"report.open":          {"Obesvarade och försenade ärenden", "Unanswered and overdue cases"},
	"report.cases":         {"Antal ärenden", "Number of cases"},
	"report.hours":         {"Timmar från mottaget ärende till första svar", "Hours from receipt to first answer"},
	"report.total":         {"Totalt", "Total"},
	"report.allTypes":      {"Alla ärendetyper", "All case types"},
	"report.median":        {"Median", "Median"},
	"report.p90":           {"P90", "P90"},
	"report.received":      {"Mottagna", "Received"},
	"report.answered":      {"Besvarade", "Answered"},
	"report.unanswered":    {"Obesvarade", "Unanswered"},
	"report.overdue":       {"Försenade", "Overdue"},
	// Of how many received (the number, already written as a string).
	"report.ofReceived": {"av %s mottagna", "of %s received"},
	// A week: its number (1) and year (2), as strings, so that the year
	// is not grouped as a number.
	"report.weekLabel":   {"v. %[1]s, %[2]s", "Week %[1]s, %[2]s"},
	"report.section":     {"Avsnitt", "Section"},
	"report.name":        {"Namn", "Name"},
	"report.allCases":    {"Alla ärenden", "All cases"},
	"report.caseType":    {"Ärendetyp", "Case type"},
	"report.status":      {"Status", "Status"},
	"report.week":        {"Vecka", "Week"},
	"report.medianHours": {"Median (timmar, avrundad nedåt)", "Median (hours, rounded down)"},
	"report.p90Hours":    {"P90 (timmar, avrundad nedåt)", "P90 (hours, rounded down)"},
}
