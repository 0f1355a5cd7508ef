package i18n

// groupsTexts are the words of staff groups and their queues: the case
// service's refusals about them, the actions' names in a case's history,
// the unit administrator's groups page and the queue page (agent/cases,
// localui).
var groupsTexts = map[string]text{
	"cases.refused.noGroupTaken":   {"Den här åtgärden tar ingen grupp.", "This action takes no group."},
	"cases.refused.noSuchGroup":    {"Gruppen finns inte. Välj en av enhetens grupper.", "The group does not exist. Choose one of the unit's groups."},
	"cases.refused.sameGroup":      {"Ärendet ligger redan i den kön. Välj en annan.", "The case is already in that queue. Choose another."},
	"cases.refused.onlyGroupTakes": {"Bara den som är med i ärendets grupp kan ta ärendet från gruppens kö.", "Only a member of the case's group can take it from the group's queue."},
	"action.take":                  {"Togs från gruppens kö", "Taken from the group's queue"},
	"action.route":                 {"Flyttades till en kö", "Moved to a queue"},
}
